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
 *   hello dns NAME              an A query to the first nameserver of /etc/resolv.conf
 *   hello fetch HOST PORT [SNI] resolve HOST (dns), connect, send a TLS ClientHello naming SNI
 *                               (or "ping"), print how many bytes came back (2 s)
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
#include <time.h>
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


/* The first nameserver of /etc/resolv.conf (IPv4), or 127.0.0.53. */
static struct in_addr nameserver(void) {
    struct in_addr a;
    inet_pton(AF_INET, "127.0.0.53", &a);
    FILE *f = fopen("/etc/resolv.conf", "r");
    if (!f) return a;
    char line[256], addr[64];
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "nameserver %63s", addr) == 1 && inet_pton(AF_INET, addr, &a) == 1) break;
    }
    fclose(f);
    return a;
}

/* An A query for NAME; 0 with *out set, else the DNS rcode (or -1 when no answer came). */
static int resolve_a(const char *name, struct in_addr *out) {
    if (inet_pton(AF_INET, name, out) == 1) return 0;
    unsigned char q[512] = {0x57, 0x44, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    size_t n = 12;
    for (const char *p = name; *p;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (len == 0 || len > 63 || n + len + 6 > sizeof q) return -1;
        q[n++] = (unsigned char)len;
        memcpy(q + n, p, len);
        n += len;
        p += len + (dot ? 1 : 0);
        if (!dot) break;
    }
    q[n++] = 0; q[n++] = 0; q[n++] = 1; q[n++] = 0; q[n++] = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53), .sin_addr = nameserver()};
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) != 0 || send(s, q, n, 0) != (ssize_t)n) return -1;
    struct pollfd p = {.fd = s, .events = POLLIN};
    if (poll(&p, 1, 2000) != 1) return -1;
    unsigned char r[512];
    ssize_t got = recv(s, r, sizeof r, 0);
    close(s);
    if (got < 12 || r[0] != 0x57 || r[1] != 0x44) return -1;
    int rcode = r[3] & 0x0f, answers = r[6] << 8 | r[7];
    if (rcode != 0) return rcode;
    size_t i = n;   /* the question, echoed */
    for (int k = 0; k < answers && i + 12 <= (size_t)got; k++) {
        if ((r[i] & 0xc0) == 0xc0) i += 2; else { while (i < (size_t)got && r[i]) i += r[i] + 1; i++; }
        if (i + 10 > (size_t)got) break;
        int type = r[i] << 8 | r[i + 1], rdlen = r[i + 8] << 8 | r[i + 9];
        i += 10;
        if (type == 1 && rdlen == 4 && i + 4 <= (size_t)got) { memcpy(out, r + i, 4); return 0; }
        i += (size_t)rdlen;
    }
    return 3;   /* no A record: as good as NXDOMAIN here */
}

/* A minimal TLS 1.2-style ClientHello whose only extension is server_name = SNI. */
static size_t client_hello(const char *sni, unsigned char *b) {
    size_t len = strlen(sni), ext = 9 + len, body = 2 + 32 + 1 + 4 + 2 + 2 + ext;
    size_t i = 0;
    b[i++] = 0x16; b[i++] = 3; b[i++] = 1; b[i++] = (unsigned char)((body + 4) >> 8); b[i++] = (unsigned char)(body + 4);
    b[i++] = 1; b[i++] = 0; b[i++] = (unsigned char)(body >> 8); b[i++] = (unsigned char)body;
    b[i++] = 3; b[i++] = 3;
    for (int k = 0; k < 32; k++) b[i++] = (unsigned char)k;
    b[i++] = 0;                                   /* session id */
    b[i++] = 0; b[i++] = 2; b[i++] = 0xc0; b[i++] = 0x2f;   /* one cipher suite */
    b[i++] = 1; b[i++] = 0;                       /* null compression */
    b[i++] = (unsigned char)(ext >> 8); b[i++] = (unsigned char)ext;
    b[i++] = 0; b[i++] = 0;                       /* server_name */
    b[i++] = (unsigned char)((len + 5) >> 8); b[i++] = (unsigned char)(len + 5);
    b[i++] = (unsigned char)((len + 3) >> 8); b[i++] = (unsigned char)(len + 3);
    b[i++] = 0; b[i++] = (unsigned char)(len >> 8); b[i++] = (unsigned char)len;
    memcpy(b + i, sni, len);
    return i + len;
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
    if (argc >= 3 && strcmp(argv[1], "dns") == 0) {
        struct in_addr a;
        int rc = resolve_a(argv[2], &a);
        if (rc != 0) { fprintf(stderr, "hello: dns %s: rcode %d\n", argv[2], rc); return 1; }
        char text[32];
        printf("resolved %s: %s\n", argv[2], inet_ntop(AF_INET, &a, text, sizeof text));
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "fetch") == 0) {
        struct in_addr a;
        int rc = resolve_a(argv[2], &a);
        if (rc != 0) { fprintf(stderr, "hello: fetch %s: cannot resolve (rcode %d)\n", argv[2], rc); return 1; }
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[3])), .sin_addr = a};
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0) return fail("socket", argv[2]);
        if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0) return fail("fetch connect", argv[2]);
        unsigned char out[600];
        size_t n = argc >= 5 && strlen(argv[4]) < 256 ? client_hello(argv[4], out) : (memcpy(out, "ping", 4), 4);
        if (send(s, out, n, MSG_NOSIGNAL) != (ssize_t)n) return fail("fetch send", argv[2]);
        struct pollfd p = {.fd = s, .events = POLLIN};
        if (poll(&p, 1, 2000) != 1) { errno = ETIMEDOUT; return fail("fetch reply", argv[2]); }
        char buf[256];
        ssize_t got = recv(s, buf, sizeof buf, 0);
        if (got <= 0) { if (got == 0) errno = ECONNRESET; return fail("fetch reply", argv[2]); }
        printf("fetched %s:%s (%zd bytes)\n", argv[2], argv[3], got);
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
    fprintf(stderr, "usage: hello greet NAME | write PATH TEXT | read PATH | exec PROG [ARGS] | connect IP PORT | udp IP PORT | hold SECONDS [TAG] | dns NAME | fetch HOST PORT [SNI] | unix PATH | env NAME\n");
    return 2;
}
