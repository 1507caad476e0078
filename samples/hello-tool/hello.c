/* hello-tool: Warden's sample tool. A small real program that does, on request, the things a
 * policy allows or forbids, so the quickstart and the acceptance suite can show both outcomes.
 *
 *   hello greet NAME            print a greeting
 *   hello write PATH TEXT       create PATH with TEXT (allowed only in a writable tree)
 *   hello read PATH             print PATH (e.g. /etc/shadow: denied)
 *   hello exec PROG [ARGS...]   execv PROG (e.g. /usr/bin/curl: denied unless allowlisted)
 *   hello connect IP PORT       TCP connect (denied when the network is none)
 *   hello udp IP PORT           send a datagram on a connected UDP socket, print the reply (2 s)
 *   hello hold SECONDS [TAG]    sleep (TAG only marks the process for a test to find)
 *   hello unix PATH             connect to a Unix socket (denied unless network.unix_sockets)
 *   hello env NAME              print an environment variable (scrubbed by the sandbox)
 *
 * Exit 0 on success; 1 and a message naming errno when the operating system refused.
 * Built statically so that it needs no ELF interpreter inside the sandbox. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int fail(const char *what, const char *arg) {
    fprintf(stderr, "hello: %s %s: %s\n", what, arg, strerror(errno));
    return 1;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "greet") == 0) {
        printf("hello, %s (uid %d)\n", argv[2], (int)getuid());
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "write") == 0) {
        int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) return fail("write", argv[2]);
        size_t n = strlen(argv[3]);
        if (write(fd, argv[3], n) != (ssize_t)n) return fail("write", argv[2]);
        close(fd);
        printf("wrote %zu bytes to %s\n", n, argv[2]);
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "read") == 0) {
        int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
        if (fd < 0) return fail("read", argv[2]);
        char buf[4096];
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0) fwrite(buf, 1, (size_t)n, stdout);
        close(fd);
        return n < 0 ? fail("read", argv[2]) : 0;
    }
    if (argc >= 3 && strcmp(argv[1], "exec") == 0) {
        execv(argv[2], argv + 2);
        return fail("exec", argv[2]);
    }
    if (argc >= 4 && strcmp(argv[1], "connect") == 0) {
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[3]))};
        if (inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1) { errno = EINVAL; return fail("connect", argv[2]); }
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0) return fail("socket", argv[2]);
        if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0) return fail("connect", argv[2]);
        printf("connected to %s:%s\n", argv[2], argv[3]);
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "udp") == 0) {
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[3]))};
        if (inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1) { errno = EINVAL; return fail("udp", argv[2]); }
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0) return fail("socket", argv[2]);
        if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0) return fail("udp connect", argv[2]);
        if (send(s, "ping", 4, 0) != 4) return fail("udp send", argv[2]);
        struct pollfd p = {.fd = s, .events = POLLIN};
        if (poll(&p, 1, 2000) != 1) { errno = ETIMEDOUT; return fail("udp reply", argv[2]); }
        char buf[256];
        ssize_t n = recv(s, buf, sizeof buf - 1, 0);
        if (n < 0) return fail("udp recv", argv[2]);
        buf[n] = 0;
        printf("udp reply from %s:%s: %s\n", argv[2], argv[3], buf);
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "hold") == 0) {
        sleep((unsigned)atoi(argv[2]));
        printf("held %s s\n", argv[2]);
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "unix") == 0) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(argv[2]) >= sizeof sa.sun_path) { errno = ENAMETOOLONG; return fail("unix", argv[2]); }
        strcpy(sa.sun_path, argv[2]);
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0) return fail("socket", argv[2]);
        if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0) return fail("unix", argv[2]);
        printf("connected to %s\n", argv[2]);
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "env") == 0) {
        const char *v = getenv(argv[2]);
        printf("%s=%s\n", argv[2], v ? v : "(unset)");
        return 0;
    }
    fprintf(stderr, "usage: hello greet NAME | write PATH TEXT | read PATH | exec PROG [ARGS] | connect IP PORT | udp IP PORT | hold SECONDS [TAG] | unix PATH | env NAME\n");
    return 2;
}
