// warden-probe: attacks (and matching harmless controls) run inside the sandbox by the escape
// suite. Each command prints "ok ..." and exits 0 when the operation succeeded, or
// "err <errno-name> ..." and exits 1 when the kernel refused it.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/perf_event.h>
#include <linux/vm_sockets.h>

static int result(long rc, const char *what) {
    if (rc >= 0) { printf("ok %s\n", what); return 0; }
    printf("err %s %s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "?", what);
    return 1;
}

static int do_read(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return result(-1, path);
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    return result(n, path);
}

static int do_write(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return result(-1, path);
    ssize_t n = write(fd, "pwned\n", 6);
    close(fd);
    return result(n, path);
}

static int do_connect_tcp(const char *port) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return result(-1, "socket");
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return result(connect(s, (struct sockaddr *)&a, sizeof a), "connect");
}

static int do_bind_tcp(void) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return result(-1, "socket");
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(8080) };
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    return result(bind(s, (struct sockaddr *)&a, sizeof a), "bind");
}

static int do_unix(const char *name, int abstract) {
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return result(-1, "socket");
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    size_t len = strlen(name);
    if (len + 2 > sizeof a.sun_path) return result(-1, "name");
    memcpy(a.sun_path + (abstract ? 1 : 0), name, len);
    socklen_t sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (abstract ? 1 : 0));
    return result(connect(s, (struct sockaddr *)&a, sl), "connect-unix");
}

static int do_socketpair(void) {
    int sv[2];
    return result(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair");
}

static int fork_bomb(void) {
    long n = 0;
    for (;;) {
        pid_t p = fork();
        if (p < 0) { printf("err %s fork after %ld\n", strerrorname_np(errno), n); return 1; }
        if (p == 0) { pause(); _exit(0); }
        n++;
        if (n > 100000) { printf("ok forked %ld\n", n); return 0; }
    }
}

static int mem_bomb(const char *mb) {
    long limit = atol(mb);
    long done = 0;
    for (; done < limit; done++) {
        char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) { printf("err %s after %ld MiB\n", strerrorname_np(errno), done); return 1; }
        memset(p, 1, 1 << 20);
    }
    printf("ok allocated %ld MiB\n", done);
    return 0;
}

static int disk_fill(const char *path, const char *mb) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return result(-1, path);
    static char buf[1 << 20];
    memset(buf, 'x', sizeof buf);
    signal(SIGXFSZ, SIG_IGN);
    long limit = atol(mb), done = 0;
    for (; done < limit; done++) {
        if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) {
            printf("err %s after %ld MiB\n", strerrorname_np(errno), done); return 1;
        }
    }
    printf("ok wrote %ld MiB\n", done);
    return 0;
}

static int fd_exhaust(void) {
    long n = 0;
    for (;;) {
        if (open("/dev/null", O_RDONLY) < 0) { printf("err %s after %ld fds\n", strerrorname_np(errno), n); return 1; }
        if (++n > 1000000) { printf("ok opened %ld\n", n); return 0; }
    }
}

static int flood(const char *mb) {
    static char buf[65536];
    memset(buf, 'A', sizeof buf);
    long total = atol(mb) * 16;
    for (long i = 0; i < total; i++) {
        if (write(1, buf, sizeof buf) < 0) return 1;
    }
    return 0;
}

static int daemonize(const char *token) {
    pid_t p = fork();
    if (p < 0) return result(-1, "fork");
    if (p == 0) {
        setsid();
        if (fork() == 0) {
            // Rename ourselves so the host can look for the token in /proc/*/cmdline.
            char *argv[] = { "/opt/probe/warden-probe", "sleep", "60", (char *)token, NULL };
            execv("/opt/probe/warden-probe", argv);
            _exit(1);
        }
        _exit(0);
    }
    waitpid(p, NULL, 0);
    // Prove the daemon really runs before we exit: find its token in /proc.
    for (int tries = 0; tries < 100; tries++) {
        for (int pid = 2; pid < 4096; pid++) {
            char path[64], buf[512];
            snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) continue;
            ssize_t n = read(fd, buf, sizeof buf - 1);
            close(fd);
            for (ssize_t i = 0; i < n; i++) if (buf[i] == 0) buf[i] = ' ';
            if (n > 0) { buf[n] = 0; if (pid != getpid() && strstr(buf, "sleep 60") && strstr(buf, token)) { printf("ok daemon running pid=%d\n", pid); return 0; } }
        }
        usleep(10000);
    }
    printf("err ESRCH daemon not found\n");
    return 1;
}

static int memfd_exec(void) {
    int fd = memfd_create("payload", MFD_CLOEXEC);
    if (fd < 0) return result(-1, "memfd_create");
    int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (self < 0) return result(-1, "open self");
    char buf[65536];
    ssize_t n;
    while ((n = read(self, buf, sizeof buf)) > 0) if (write(fd, buf, (size_t)n) != n) return result(-1, "write");
    char *args[] = { "payload", "echo", "from-memfd", NULL };
    char *envp[] = { NULL };
    fexecve(fd, args, envp);
    return result(-1, "fexecve");
}

/* Code loading around the exec allowlist: map a file executable, make writable memory
   executable, or run a copy of this program from a file the tool wrote. */
static int map_exec(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return result(-1, "open");
    void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
    return result(p == MAP_FAILED ? -1 : 0, "mmap-exec");
}

static int anon_exec(int later) {
    void *p = mmap(NULL, 4096, later ? PROT_READ | PROT_WRITE : PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return result(-1, "mmap-anon-exec");
    if (!later) return result(0, "mmap-anon-exec");
    ((unsigned char *)p)[0] = 0xc3; /* ret */
    if (mprotect(p, 4096, PROT_READ | PROT_EXEC) != 0) return result(-1, "mprotect-exec");
    ((void (*)(void))p)();
    return result(0, "mprotect-exec ran");
}

static int memfd_map(void) {
    int fd = memfd_create("payload", MFD_CLOEXEC | 0x8 /* MFD_NOEXEC_SEAL */);
    if (fd < 0) return result(-1, "memfd_create");
    if (ftruncate(fd, 4096) != 0) return result(-1, "ftruncate");
    void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
    return result(p == MAP_FAILED ? -1 : 0, "mmap-memfd-exec");
}

static int shm_exec(void) {
    int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0700);
    if (id < 0) return result(-1, "shmget");
    void *p = shmat(id, NULL, SHM_EXEC);
    shmctl(id, IPC_RMID, NULL);
    return result(p == (void *)-1 ? -1 : 0, "shmat-exec");
}

/* Copies this program to `path` (0755) and returns an fd open on the copy, or -1. */
static int copy_self(const char *path) {
    int out = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (out < 0 || self < 0) return -1;
    char buf[65536];
    ssize_t n;
    while ((n = read(self, buf, sizeof buf)) > 0) if (write(out, buf, (size_t)n) != n) return -1;
    close(self);
    return out;
}

/* how: "path" exec by path, "fd" execveat(AT_EMPTY_PATH), "proc" via /proc/self/fd/N, or an
   absolute path to execute instead (a script whose #! names the copy). */
static int written_exec(const char *path, const char *how) {
    int fd = copy_self(path);
    if (fd < 0) return result(-1, "copy");
    char *args[] = { "copy", "echo", "from-written-file", NULL };
    char *envp[] = { NULL };
    close(fd);  /* a file open for writing cannot be executed (ETXTBSY) */
    if (!strcmp(how, "fd")) {
        int ro = open(path, O_RDONLY | O_CLOEXEC);
        syscall(SYS_execveat, ro, "", args, envp, AT_EMPTY_PATH);
        return result(-1, "execveat");
    }
    if (!strcmp(how, "proc")) {
        int ro = open(path, O_RDONLY | O_CLOEXEC);
        char p[64];
        snprintf(p, sizeof p, "/proc/self/fd/%d", ro);
        execve(p, args, envp);
        return result(-1, "exec /proc/self/fd");
    }
    execve(how[0] == '/' ? how : path, args, envp);
    return result(-1, "exec");
}

static volatile sig_atomic_t got_signal = 0;
static void on_signal(int sig) { got_signal = sig; }

static int trap_signal(const char *token) {
    signal(SIGTERM, on_signal);
    printf("ok waiting %s\n", token);
    for (int i = 0; i < 3000 && !got_signal; i++) usleep(10000);
    if (got_signal) { printf("ok got signal %d\n", (int)got_signal); return 0; }
    printf("err ETIMEDOUT no signal\n");
    return 1;
}

static int int80_getpid(void) {
    long ret;
    __asm__ volatile ("int $0x80" : "=a"(ret) : "a"(20) : "memory");
    printf("ok int80 returned %ld\n", ret);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 2) { fprintf(stderr, "usage: warden-probe COMMAND [ARGS]\n"); return 2; }
    const char *c = argv[1];
    const char *a = argc > 2 ? argv[2] : "";
    const char *b = argc > 3 ? argv[3] : "";
    if (!strcmp(c, "read")) return do_read(a);
    if (!strcmp(c, "write")) return do_write(a);
    if (!strcmp(c, "mkdir")) return result(mkdir(a, 0755), a);
    if (!strcmp(c, "symlink")) return result(symlink(a, b), b);
    if (!strcmp(c, "rename")) return result(rename(a, b), b);
    if (!strcmp(c, "link")) return result(link(a, b), b);
    if (!strcmp(c, "rmdir")) return result(rmdir(a), a);
    if (!strcmp(c, "unlink")) return result(unlink(a), a);
    if (!strcmp(c, "openat2-write")) { struct { unsigned long long flags, mode, resolve; } how = { O_WRONLY | O_CREAT | O_CLOEXEC, 0644, 0 }; return result(syscall(SYS_openat2, AT_FDCWD, a, &how, sizeof how), a); }
    if (!strcmp(c, "readlink")) { char t[4096]; ssize_t n = readlink(a, t, sizeof t - 1); if (n >= 0) { t[n] = 0; printf("ok %s\n", t); return 0; } return result(-1, a); }
    if (!strcmp(c, "exec")) { execv(a, argv + 2); return result(-1, a); }
    if (!strcmp(c, "whoami")) { printf("ok uid=%d euid=%d gid=%d egid=%d\n", getuid(), geteuid(), getgid(), getegid()); return 0; }
    if (!strcmp(c, "caps")) { char buf[4096]; int fd = open("/proc/self/status", O_RDONLY); ssize_t n = read(fd, buf, sizeof buf - 1); buf[n > 0 ? n : 0] = 0; char *p = strstr(buf, "CapInh"); char *q = p ? strstr(p, "CapAmb") : NULL; if (q) { char *e = strchr(q, '\n'); if (e) *e = 0; } for (char *t = p; t && *t; t++) if (*t == '\n') *t = ' '; printf("ok %s\n", p ? p : "?"); return 0; }
    if (!strcmp(c, "nnp")) { printf("ok nnp=%d\n", (int)prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)); return 0; }
    if (!strcmp(c, "mount")) return result(mount("tmpfs", "/tmp", "tmpfs", 0, NULL), "mount");
    if (!strcmp(c, "umount")) return result(umount2(a, MNT_DETACH), "umount");
    if (!strcmp(c, "unshare-user")) return result(unshare(CLONE_NEWUSER), "unshare");
    if (!strcmp(c, "unshare-ns")) return result(unshare(CLONE_NEWNS), "unshare");
    if (!strcmp(c, "clone-newuser")) { long r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0); if (r == 0) _exit(0); if (r > 0) waitpid((pid_t)r, NULL, 0); return result(r, "clone"); }
    if (!strcmp(c, "fork")) { pid_t p = fork(); if (p == 0) _exit(0); if (p > 0) waitpid(p, NULL, 0); return result(p, "fork"); }
    if (!strcmp(c, "setns")) { int fd = open("/proc/self/ns/net", O_RDONLY); if (fd < 0) return result(-1, "open"); return result(setns(fd, 0), "setns"); }
    if (!strcmp(c, "chroot")) return result(chroot("/tmp"), "chroot");
    if (!strcmp(c, "chdir")) return result(chdir(a), "chdir");
    /* MODE in octal: chmod an existing file, create a new one, or make a directory (mkdir-mode). */
    if (!strcmp(c, "chmod")) return result(chmod(a, (mode_t)strtoul(b, NULL, 8)), "chmod");
    if (!strcmp(c, "create")) { umask(0); return result(open(a, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)strtoul(b, NULL, 8)), "create"); }
    if (!strcmp(c, "mkdir-mode")) { umask(0); return result(mkdir(a, (mode_t)strtoul(b, NULL, 8)), "mkdir"); }
    if (!strcmp(c, "ptrace")) return result(ptrace(PTRACE_ATTACH, atoi(a), 0, 0), "ptrace");
    if (!strcmp(c, "ptrace-traceme")) return result(ptrace(PTRACE_TRACEME, 0, 0, 0), "ptrace");
    if (!strcmp(c, "keyctl")) return result(syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* session */, 1), "keyctl");
    if (!strcmp(c, "add_key")) return result(syscall(SYS_add_key, "user", "warden", "x", 1, -3), "add_key");
    if (!strcmp(c, "bpf")) { char attr[128]; memset(attr, 0, sizeof attr); return result(syscall(SYS_bpf, 0 /* MAP_CREATE */, attr, sizeof attr), "bpf"); }
    if (!strcmp(c, "perf")) { struct perf_event_attr pa; memset(&pa, 0, sizeof pa); pa.size = sizeof pa; pa.type = PERF_TYPE_SOFTWARE; pa.config = PERF_COUNT_SW_CPU_CLOCK; pa.exclude_kernel = 1; return result(syscall(SYS_perf_event_open, &pa, 0, -1, -1, 0), "perf_event_open"); }
    if (!strcmp(c, "io_uring")) { char params[120]; memset(params, 0, sizeof params); return result(syscall(SYS_io_uring_setup, 4, params), "io_uring_setup"); }
    if (!strcmp(c, "userfaultfd")) return result(syscall(SYS_userfaultfd, O_CLOEXEC), "userfaultfd");
    if (!strcmp(c, "tiocsti")) { char ch = 'x'; return result(ioctl(atoi(a), TIOCSTI, &ch), "tiocsti"); }
    if (!strcmp(c, "tiocsetd")) { int ldisc = 0; return result(ioctl(atoi(a), TIOCSETD, &ldisc), "tiocsetd"); }
    if (!strcmp(c, "tcgets")) { struct termios t; return result(ioctl(atoi(a), TCGETS, &t), "tcgets"); }
    if (!strcmp(c, "raw-socket")) return result(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), "raw");
    if (!strcmp(c, "packet-socket")) return result(socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)), "packet");
    if (!strcmp(c, "alg-socket")) return result(socket(AF_ALG, SOCK_SEQPACKET, 0), "alg");
    if (!strcmp(c, "udp-socket")) return result(socket(AF_INET, SOCK_DGRAM, 0), "udp");
    if (!strcmp(c, "connect")) return do_connect_tcp(a);
    if (!strcmp(c, "bind")) return do_bind_tcp();
    if (!strcmp(c, "unix-abstract")) return do_unix(a, 1);
    if (!strcmp(c, "unix-path")) return do_unix(a, 0);
    if (!strcmp(c, "vsock")) {
        /* AF_VSOCK is not network-namespaced: CID 2 is the hypervisor host. */
        int s = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0) return result(-1, "socket");
        struct sockaddr_vm v = { .svm_family = AF_VSOCK, .svm_cid = (unsigned)atoi(a), .svm_port = (unsigned)atoi(b) };
        return result(connect(s, (struct sockaddr *)&v, sizeof v), "connect-vsock");
    }
    if (!strcmp(c, "socketpair")) return do_socketpair();
    if (!strcmp(c, "dns")) { struct addrinfo *ai; int rc = getaddrinfo(a, "80", NULL, &ai); if (rc == 0) { printf("ok resolved\n"); return 0; } printf("err %s dns\n", gai_strerror(rc)); return 1; }
    if (!strcmp(c, "kill-all")) { pid_t p = fork(); if (p == 0) { pause(); _exit(0); } return result(kill(-1, SIGKILL), "kill"); }
    if (!strcmp(c, "kill")) return result(kill(atoi(a), SIGKILL), "kill");
    if (!strcmp(c, "fork-bomb")) return fork_bomb();
    if (!strcmp(c, "mem-bomb")) return mem_bomb(a);
    if (!strcmp(c, "disk-fill")) return disk_fill(a, b);
    if (!strcmp(c, "fd-exhaust")) return fd_exhaust();
    if (!strcmp(c, "flood")) return flood(a);
    if (!strcmp(c, "daemon")) return daemonize(a);
    if (!strcmp(c, "hold")) { printf("ok holding %s\n", b); sleep((unsigned)atoi(a)); return 0; }
    if (!strcmp(c, "sleep")) { sleep((unsigned)atoi(a)); printf("ok slept\n"); return 0; }
    if (!strcmp(c, "spin")) { volatile unsigned long x = 0; for (;;) x++; }
    if (!strcmp(c, "env")) { const char *v = getenv(a); if (v) { printf("ok %s=%s\n", a, v); return 0; } printf("err ENOENT env %s\n", a); return 1; }
    if (!strcmp(c, "fd")) return result(fcntl(atoi(a), F_GETFD), "fd");
    if (!strcmp(c, "fds")) { int n = 0; for (int fd = 0; fd < 1024; fd++) if (fcntl(fd, F_GETFD) >= 0) n++; printf("ok %d open\n", n); return 0; }
    if (!strcmp(c, "settime")) { struct timespec ts; clock_gettime(CLOCK_REALTIME, &ts); return result(clock_settime(CLOCK_REALTIME, &ts), "clock_settime"); }
    if (!strcmp(c, "settimeofday")) { struct timeval tv; gettimeofday(&tv, NULL); return result(settimeofday(&tv, NULL), "settimeofday"); }
    if (!strcmp(c, "gettime")) { struct timespec ts; return result(clock_gettime(CLOCK_REALTIME, &ts), "clock_gettime"); }
    if (!strcmp(c, "sethostname")) return result(sethostname(a, strlen(a)), "sethostname");
    if (!strcmp(c, "hostname")) { char h[256] = {0}; gethostname(h, sizeof h - 1); printf("ok %s\n", h); return 0; }
    if (!strcmp(c, "int80")) return int80_getpid();
    if (!strcmp(c, "trap")) return trap_signal(a);
    if (!strcmp(c, "tty")) {
        int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
        struct termios t;
        int ctty = fd >= 0 && tcgetattr(fd, &t) == 0;
        printf("%s tty=%d%d%d ctty=%d sid=%d\n", isatty(0) && ctty ? "ok" : "err ENOTTY", isatty(0), isatty(1), isatty(2), ctty, getsid(0) == getpid());
        char ch = 'x';
        if (fd >= 0 && ioctl(fd, TIOCSTI, &ch) == 0) printf("TIOCSTI ALLOWED\n");
        return isatty(0) && ctty ? 0 : 1;
    }
    if (!strcmp(c, "memfd-exec")) return memfd_exec();
    if (!strcmp(c, "map-exec")) return map_exec(a);
    if (!strcmp(c, "anon-exec")) return anon_exec(0);
    if (!strcmp(c, "anon-mprotect")) return anon_exec(1);
    if (!strcmp(c, "memfd-map")) return memfd_map();
    if (!strcmp(c, "shm-exec")) return shm_exec();
    if (!strcmp(c, "written-exec")) return written_exec(a, b);
    if (!strcmp(c, "proc-mem")) return result(open("/proc/self/mem", O_RDWR | O_CLOEXEC), "open /proc/self/mem");
    if (!strcmp(c, "getpid")) { printf("ok pid=%d\n", getpid()); return 0; }
    if (!strcmp(c, "personality")) return result(syscall(SYS_personality, strtoul(a, NULL, 0)), "personality");
    if (!strcmp(c, "echo")) { printf("ok %s\n", a); return 0; }
    if (!strcmp(c, "exit")) return atoi(a);
    if (!strcmp(c, "signal")) { kill(getpid(), atoi(a)); return 0; }
    if (!strcmp(c, "stdin")) { char buf[256]; ssize_t n = read(0, buf, sizeof buf - 1); if (n < 0) return result(-1, "read"); buf[n] = 0; printf("ok %s\n", buf); return 0; }
    fprintf(stderr, "warden-probe: unknown command %s\n", c);
    return 2;
}
