// Parent side of the spawn: clone3 into new namespaces, write the id maps and cgroup
// membership, release the child, and read back either EOF (program exec'd) or (stage, errno).
#include "syscalls.h"
#include "child.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

static int write_all_path(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    int saved = errno;
    close(fd);
    errno = saved;
    return (n == (ssize_t)len) ? 0 : -1;
}

static int write_proc(pid_t pid, const char *file, const char *text) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
    return write_all_path(path, text);
}

int wsp_pidfd_kill(int pidfd, int sig) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

/// Reads the child's (stage, errno, index) report; 0 at EOF (the program was exec'd).
static int read_report(int fd, int report[3]) {
    size_t got = 0;
    while (got < 3 * sizeof(int)) {
        ssize_t n = read(fd, (char *)report + got, 3 * sizeof(int) - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    return got == 3 * sizeof(int);
}

static void abort_child(pid_t pid, int pidfd) {
    wsp_pidfd_kill(pidfd, SIGKILL);
    while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR) {}
    close(pidfd);
}

static void close_result_fds(struct wsp_result *r) {
    int *fds[] = { &r->pidfd, &r->status_fd, &r->lifeline_fd, &r->err_fd };
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
        if (*fds[i] >= 0) close(*fds[i]);
        *fds[i] = -1;
    }
}

/// Kills and reaps the child after a failure at `stage`; if the child had failed first (so
/// our write hit a closed socket), its own report replaces ours.
static int fail_started(struct wsp_result *r, int stage, int err, int index) {
    r->err_stage = stage; r->err_errno = err; r->err_index = index;
    abort_child(r->pid, r->pidfd);
    r->pidfd = -1;
    int report[3];
    if (r->err_fd >= 0 && read_report(r->err_fd, report)) {
        r->err_stage = report[0]; r->err_errno = report[1]; r->err_index = report[2];
    }
    close_result_fds(r);
    r->pid = -1;
    return -1;
}

int wsp_spawn_start(const struct wsp_config *c, struct wsp_result *r) {
    memset(r, 0, sizeof(*r));
    r->pid = -1; r->pidfd = -1; r->status_fd = -1; r->lifeline_fd = -1; r->err_fd = -1; r->err_index = -1;
    // The sync channel is a socket so the cgroup handoff can carry descriptors (SCM_RIGHTS).
    int syncp[2], errp[2], statp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, syncp) != 0) { r->err_stage = WSP_ST_CLONE; r->err_errno = errno; return -1; }
    if (pipe2(errp, O_CLOEXEC) != 0) {
        r->err_stage = WSP_ST_CLONE; r->err_errno = errno;
        close(syncp[0]); close(syncp[1]); return -1;
    }
    if (pipe2(statp, O_CLOEXEC) != 0) {
        r->err_stage = WSP_ST_CLONE; r->err_errno = errno;
        close(syncp[0]); close(syncp[1]); close(errp[0]); close(errp[1]); return -1;
    }

    int pidfd = -1;
    struct w_clone_args args;
    memset(&args, 0, sizeof(args));
    args.flags = (c->clone_flags & ~(uint64_t)CLONE_NEWCGROUP) | CLONE_PIDFD;
    args.pidfd = (uint64_t)(uintptr_t)&pidfd;
    args.exit_signal = SIGCHLD;
    if (c->into_cgroup_fd >= 0) {
        args.flags |= 0x200000000ULL;   // CLONE_INTO_CGROUP (Linux 5.7)
        args.cgroup = (uint64_t)c->into_cgroup_fd;
    }
    long pid = w_clone3(&args);
    if (pid < 0 && errno == EINVAL && (args.flags & CLONE_NEWTIME)) {
        // Kernels without time namespaces (< 5.6): everything else is still required.
        args.flags &= ~(uint64_t)CLONE_NEWTIME;
        pid = w_clone3(&args);
    }
    if (pid == 0) {
        close(syncp[1]); close(errp[0]); close(statp[0]);
        wsp_child_main(c, syncp[0], errp[1], statp[1]);
    }
    int saved = errno;
    WSP_TS(WSP_TP_CLONED);
    close(syncp[0]); close(errp[1]); close(statp[1]);
    if (pid < 0) {
        r->err_stage = WSP_ST_CLONE; r->err_errno = saved;
        close(syncp[1]); close(errp[0]); close(statp[0]);
        return -1;
    }
    r->pid = (pid_t)pid;
    r->pidfd = pidfd;
    r->lifeline_fd = syncp[1];
    r->err_fd = errp[0];
    r->status_fd = statp[0];
    fcntl(r->err_fd, F_SETFL, O_NONBLOCK);

    if (c->rootless && write_proc((pid_t)pid, "setgroups", "deny") != 0) return fail_started(r, WSP_ST_MAPS, errno, -1);
    if (write_proc((pid_t)pid, "uid_map", c->uid_map) != 0) return fail_started(r, WSP_ST_MAPS, errno, -1);
    if (write_proc((pid_t)pid, "gid_map", c->gid_map) != 0) return fail_started(r, WSP_ST_MAPS, errno, -1);
    WSP_TS(WSP_TP_MAPS);
    if (send(r->lifeline_fd, "g", 1, MSG_NOSIGNAL) != 1) return fail_started(r, WSP_ST_SYNC, errno, -1);
    WSP_TS(WSP_TP_RELEASED);
    return 0;
}

int wsp_spawn_handoff(struct wsp_result *r, int mode, const int *fds, int nfds) {
    if (nfds < 0 || nfds > WSP_MAX_CGROUP_FDS || (mode != WSP_HANDOFF_JOIN && nfds != 0 && mode != WSP_HANDOFF_PROCS))
        return fail_started(r, WSP_ST_CGROUP, EINVAL, -1);
    if (mode == WSP_HANDOFF_PROCS) {
        // v2: moving another process through cgroup.procs (waits for an RCU grace period; the
        // child is blocked on the handoff, so nothing of it runs outside the cgroups).
        char buf[24];
        int len = snprintf(buf, sizeof(buf), "%d", (int)r->pid);
        for (int i = 0; i < nfds; i++) {
            if (write(fds[i], buf, (size_t)len) != len) return fail_started(r, WSP_ST_CGROUP, errno, i);
        }
    }
    char byte = (char)mode;
    struct iovec iov = { &byte, 1 };
    union { struct cmsghdr align; char buf[CMSG_SPACE(sizeof(int) * WSP_MAX_CGROUP_FDS)]; } control;
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    memset(&control, 0, sizeof(control));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (mode == WSP_HANDOFF_JOIN && nfds > 0) {
        msg.msg_control = control.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
    }
    ssize_t n;
    do { n = sendmsg(r->lifeline_fd, &msg, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
    if (n != 1) return fail_started(r, WSP_ST_SYNC, errno, -1);
    WSP_TS(WSP_TP_CGHANDOFF);
    return 0;
}

void wsp_spawn_abort(struct wsp_result *r) {
    if (r->pid > 0 && r->pidfd >= 0) abort_child(r->pid, r->pidfd);
    r->pidfd = -1;
    r->pid = -1;
    close_result_fds(r);
}

int wsp_spawn_failure(struct wsp_result *r) {
    int report[3];
    if (r->err_fd < 0 || !read_report(r->err_fd, report)) return 0;
    r->err_stage = report[0]; r->err_errno = report[1]; r->err_index = report[2];
    return 1;
}

int wsp_landlock_abi(void) {
    long v = syscall(SYS_landlock_create_ruleset, NULL, 0, W_LANDLOCK_CREATE_RULESET_VERSION);
    return v < 0 ? -errno : (int)v;
}

int wsp_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int wsp_random(void *buf, size_t len) {
    return syscall(SYS_getrandom, buf, len, 0) == (long)len ? 0 : -1;
}

static volatile int forward_pidfd = -1;

static void forward_handler(int sig) {
    int fd = forward_pidfd;
    if (fd >= 0) syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
}

static const int forwarded_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };

void wsp_forward_signals(int pidfd) {
    forward_pidfd = pidfd;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = pidfd >= 0 ? forward_handler : SIG_DFL;
    sa.sa_flags = SA_RESTART;
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++) {
        sigaction(forwarded_signals[i], &sa, NULL);
        sigaddset(&set, forwarded_signals[i]);
    }
    // A caller may have inherited these blocked (exec keeps the mask): unblock them on the
    // supervising thread so they are delivered here while the sandbox runs.
    if (pidfd >= 0) pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

int wsp_open_pty(int *master, int *slave) {
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0) return -errno;
    char name[64];
    if (grantpt(m) != 0 || unlockpt(m) != 0 || ptsname_r(m, name, sizeof(name)) != 0) {
        int e = -errno; close(m); return e;
    }
    int s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0) { int e = -errno; close(m); return e; }
    *master = m;
    *slave = s;
    return 0;
}

void wsp_copy_winsize(int from, int to) {
    struct winsize ws;
    if (ioctl(from, TIOCGWINSZ, &ws) == 0) ioctl(to, TIOCSWINSZ, &ws);
}
