// Benchmark floor (warden-bench-sandbox): the cost of the kernel primitives alone, without
// any of Warden's work, so the in-process figure can be read against what no sandbox using
// the same namespaces can avoid (docs/SANDBOX.md, "Benchmark").
#include "syscalls.h"
#include "wardenspawn.h"

#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

int64_t wsp_bench_namespace_floor(uint64_t flags, int switch_root) {
    int go[2];
    if (pipe2(go, O_CLOEXEC) != 0) return -errno;
    uint64_t start = now_ns();
    struct w_clone_args args;
    memset(&args, 0, sizeof(args));
    args.flags = flags;
    args.exit_signal = SIGCHLD;
    long pid = w_clone3(&args);
    if (pid == 0) {
        char b;
        close(go[1]);
        if (read(go[0], &b, 1) != 1) _exit(1);
        if (switch_root) {
            // The least a fresh root costs: private propagation, a tmpfs, pivot_root, and the
            // lazy detach of the host tree (one RCU grace period in the kernel).
            if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) _exit(2);
            if (mount("tmpfs", "/tmp", "tmpfs", 0, "size=16k") != 0) _exit(3);
            if (chdir("/tmp") != 0 || w_pivot_root(".", ".") != 0 || umount2(".", MNT_DETACH) != 0) _exit(4);
        }
        _exit(0);
    }
    int saved = errno;
    close(go[0]);
    if (pid < 0) { close(go[1]); return -saved; }
    if (flags & CLONE_NEWUSER) {
        char path[64], map[64];
        snprintf(map, sizeof(map), "0 %d 1\n", (int)geteuid());
        snprintf(path, sizeof(path), "/proc/%ld/uid_map", pid);
        write_file(path, map);
        snprintf(path, sizeof(path), "/proc/%ld/setgroups", pid);
        write_file(path, "deny");
        snprintf(map, sizeof(map), "0 %d 1\n", (int)getegid());
        snprintf(path, sizeof(path), "/proc/%ld/gid_map", pid);
        write_file(path, map);
    }
    // switch_root == 2: hold the child's mount and network namespaces open from here, so
    // their teardown happens when we close them (after the reap), not in the child's exit.
    int held[2] = { -1, -1 };
    if (switch_root == 2) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%ld/ns/mnt", pid);
        held[0] = open(path, O_RDONLY | O_CLOEXEC);
        snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
        held[1] = open(path, O_RDONLY | O_CLOEXEC);
    }
    ssize_t ignored = write(go[1], "g", 1);
    (void)ignored;
    close(go[1]);
    int status = 0;
    while (waitpid((pid_t)pid, &status, 0) < 0 && errno == EINTR) {}
    uint64_t elapsed = now_ns() - start;
    for (int i = 0; i < 2; i++) if (held[i] >= 0) close(held[i]);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -EPROTO;
    return (int64_t)elapsed;
}
