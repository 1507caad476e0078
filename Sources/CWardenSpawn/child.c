// The sandbox child: runs as PID 1 of the new PID namespace. It assembles the root from the
// prepared mount plan, pivots into it, drops every privilege, installs Landlock and seccomp,
// then forks the program and stays as a tiny init that reaps and forwards signals. Only raw
// syscalls here: the parent is multi-threaded, so no malloc, stdio or locks after clone.
#include "syscalls.h"
#include "child.h"

#include <linux/capability.h>
#include <sched.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>

static void report(int errfd, int stage, int index, int code) {
    int buf[3] = { stage, errno, index };
    ssize_t ignored = write(errfd, buf, sizeof(buf));
    (void)ignored;
    _exit(code);
}

#define FAIL(stage, index) report(errfd, (stage), (index), 126)

/// A mask whose destination cannot be reached (searching a directory on the way is denied:
/// root's 0700 home, as root mode's unprivileged mapped uid) goes over the directory that
/// blocks the way instead: that whole directory is hidden, which hides the destination too,
/// whatever the tool's own identity could have reached there. 0, or -1 (errno kept) when
/// the failure was not a denied search.
static int mask_blocking_directory(const char *dst) {
    if (errno != EACCES) return -1;
    char path[4096];
    size_t n = strlen(dst);
    if (n == 0 || n >= sizeof(path)) { errno = EACCES; return -1; }
    memcpy(path, dst, n + 1);
    // The first prefix that cannot be opened names a child of the blocking directory.
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != 0) continue;
        char saved = path[i];
        path[i] = 0;
        int fd = open(path, O_PATH | O_CLOEXEC);
        if (fd >= 0) { close(fd); path[i] = saved; continue; }
        if (errno != EACCES) { errno = EACCES; return -1; }
        char *slash = strrchr(path, '/');
        if (!slash || slash == path) { errno = EACCES; return -1; }
        *slash = 0;
        if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0000,size=4k") != 0) return -1;
        struct w_mount_attr attr = { 0 };
        attr.attr_set = W_MOUNT_ATTR_RDONLY | W_MOUNT_ATTR_NOSUID | W_MOUNT_ATTR_NODEV;
        return w_mount_setattr(AT_FDCWD, path, 0, &attr);
    }
    errno = EACCES;
    return -1;
}

/// A recursive clone of the tree at `src` (opened without following symlinks, see
/// w_open_source) moved onto `dst`. 0, or -1 with errno kept.
static int bind_tree(const char *src, const char *dst) {
    int tree = w_clone_source(src, AT_RECURSIVE);
    if (tree < 0) return -1;
    int moved = w_move_mount(tree, "", AT_FDCWD, dst, W_MOVE_MOUNT_F_EMPTY_PATH);
    int saved = errno;
    close(tree);
    if (moved != 0) { errno = saved; return -1; }
    return 0;
}

static int run_op(const struct wsp_op *op) {
    switch (op->kind) {
    case WSP_OP_DIR:
        if (mkdir(op->dst, (mode_t)op->mode) != 0 && errno != EEXIST) return -1;
        return 0;
    case WSP_OP_FILE: {
        int fd = open(op->dst, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0444);
        if (fd < 0) return -1;
        close(fd);
        return 0;
    }
    case WSP_OP_BIND: {
        if (bind_tree(op->src, op->dst) != 0) return -1;
        struct w_mount_attr attr = { 0 };
        attr.attr_set = W_MOUNT_ATTR_NOSUID | (op->nodev ? W_MOUNT_ATTR_NODEV : 0)
                      | (op->readonly ? W_MOUNT_ATTR_RDONLY : 0);
        return w_mount_setattr(AT_FDCWD, op->dst, AT_RECURSIVE, &attr);
    }
    case WSP_OP_TMPFS: {
        if (mount("tmpfs", op->dst, "tmpfs", MS_NOSUID | MS_NODEV, op->data) != 0) return -1;
        if (!op->mask) return 0;
        struct w_mount_attr attr = { 0 };
        attr.attr_set = W_MOUNT_ATTR_RDONLY | W_MOUNT_ATTR_NOSUID | W_MOUNT_ATTR_NODEV;
        return w_mount_setattr(AT_FDCWD, op->dst, 0, &attr);
    }
    case WSP_OP_PROC:
        return mount("proc", op->dst, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    case WSP_OP_WRITE: {
        int fd = open(op->dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, (mode_t)op->mode);
        if (fd < 0) return -1;
        size_t done = 0;
        while (done < op->src_len) {
            ssize_t n = write(fd, op->src + done, op->src_len - done);
            if (n < 0) { if (errno == EINTR) continue; close(fd); return -1; }
            done += (size_t)n;
        }
        close(fd);
        return 0;
    }
    case WSP_OP_SYMLINK:
        return symlink(op->src, op->dst);
    case WSP_OP_READONLY: {
        struct w_mount_attr attr = { 0 };
        attr.attr_set = W_MOUNT_ATTR_RDONLY | W_MOUNT_ATTR_NOSUID | W_MOUNT_ATTR_NODEV;
        return w_mount_setattr(AT_FDCWD, op->dst, 0, &attr);
    }
    case WSP_OP_MOVE_FD:
        return w_move_mount(op->fd, "", AT_FDCWD, op->dst, W_MOVE_MOUNT_F_EMPTY_PATH);
    case WSP_OP_COPY_FD: {
        // A verified artifact: its sealed memfd (verified bytes the kernel keeps immutable) is
        // copied into the private root, which turns read-only before anything runs. Nothing of
        // the host is mounted for it, and the copy lives and dies with this mount namespace.
        int out = open(op->dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, (mode_t)op->mode);
        if (out < 0) return -1;
        off_t offset = 0;
        while ((size_t)offset < op->src_len) {
            ssize_t n = sendfile(out, op->fd, &offset, op->src_len - (size_t)offset);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) { if (n == 0) errno = EIO; close(out); return -1; }
        }
        close(out);
        // The descriptor stays open here (another op may copy it too); init closes every
        // inherited descriptor once the program is started, and the program never has it.
        return 0;
    }
    case WSP_OP_NOEXEC: {
        struct w_mount_attr attr = { 0 };
        attr.attr_set = W_MOUNT_ATTR_NOEXEC;
        return w_mount_setattr(AT_FDCWD, op->dst, AT_RECURSIVE, &attr);
    }
    case WSP_OP_EXEC_BIND: {
        // One allowed program, library or plugin directory made executable again after the
        // tree-wide noexec. A clone of the sandbox's own path keeps the tree's id mapping and
        // every mount below it (masks stay); only the top mount regains exec, so a writable or
        // masked mount inside an allowed directory stays noexec.
        if (bind_tree(op->dst, op->dst) != 0) return -1;
        struct w_mount_attr attr = { 0 };
        attr.attr_set = W_MOUNT_ATTR_RDONLY | W_MOUNT_ATTR_NOSUID | W_MOUNT_ATTR_NODEV;
        attr.attr_clr = W_MOUNT_ATTR_NOEXEC;
        return w_mount_setattr(AT_FDCWD, op->dst, 0, &attr);
    }
    default:
        errno = EINVAL;
        return -1;
    }
}

static void drop_privileges(const struct wsp_config *c, int errfd) {
    unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_KEEP_CAPS_LOCKED
                       | SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
    if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) != 0) FAIL(WSP_ST_SECUREBITS, -1);
    for (int cap = 0; cap <= c->cap_last_cap; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) FAIL(WSP_ST_CAPBSET, cap);
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) FAIL(WSP_ST_AMBIENT, -1);
    if (w_setresgid(c->inside_gid, c->inside_gid, c->inside_gid) != 0) FAIL(WSP_ST_SETGID, -1);
    if (w_setresuid(c->inside_uid, c->inside_uid, c->inside_uid) != 0) FAIL(WSP_ST_SETUID, -1);
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    if (syscall(SYS_capset, &hdr, data) != 0) FAIL(WSP_ST_CAPSET, -1);
}

static int build_landlock(const struct wsp_config *c, int errfd) {
    struct w_landlock_ruleset_attr attr = { c->ll_handled_fs, c->ll_handled_net, c->ll_scoped };
    size_t size = c->landlock_abi >= 6 ? 24 : (c->landlock_abi >= 4 ? 16 : 8);
    int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
    if (rs < 0) FAIL(WSP_ST_LANDLOCK_CREATE, -1);
    for (int i = 0; i < c->nll_rules; i++) {
        int fd = open(c->ll_rules[i].path, O_PATH | O_CLOEXEC);
        if (fd < 0) FAIL(WSP_ST_LANDLOCK_RULE, i);
        struct stat st;
        if (fstat(fd, &st) != 0) FAIL(WSP_ST_LANDLOCK_RULE, i);
        struct w_landlock_path_beneath_attr rule;
        rule.allowed_access = c->ll_rules[i].access & c->ll_handled_fs;
        if (!S_ISDIR(st.st_mode)) rule.allowed_access &= W_LANDLOCK_FILE_RIGHTS;
        rule.parent_fd = fd;
        if (rule.allowed_access != 0 &&
            syscall(SYS_landlock_add_rule, rs, W_LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0)
            FAIL(WSP_ST_LANDLOCK_RULE, i);
        close(fd);
    }
    // Egress: connect() may name only the ports the grant allows (before nftables redirects).
    for (int i = 0; i < c->nll_connect_ports; i++) {
        struct w_landlock_net_port_attr rule = { 2 /* CONNECT_TCP */, c->ll_connect_ports[i] };
        if (syscall(SYS_landlock_add_rule, rs, W_LANDLOCK_RULE_NET_PORT, &rule, 0) != 0)
            FAIL(WSP_ST_LANDLOCK_RULE, -1);
    }
    return rs;
}

static void noop_handler(int sig) { (void)sig; }

/// Reads the parent's one-byte cgroup handoff and the descriptors sent with it (SCM_RIGHTS,
/// close-on-exec). Returns how many arrived, or -1 if the parent is gone or sent garbage.
static int recv_handoff(int syncfd, char *mode, int fds[WSP_MAX_CGROUP_FDS]) {
    union { struct cmsghdr align; char buf[CMSG_SPACE(sizeof(int) * WSP_MAX_CGROUP_FDS)]; } control;
    struct iovec iov = { mode, 1 };
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof(control.buf);
    ssize_t n;
    do { n = recvmsg(syncfd, &msg, MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
    if (n != 1 || (msg.msg_flags & MSG_CTRUNC)) return -1;
    int count = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) return -1;
        int k = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        if (count + k > WSP_MAX_CGROUP_FDS) return -1;
        memcpy(fds + count, CMSG_DATA(cm), sizeof(int) * (size_t)k);
        count += k;
    }
    return count;
}

/// The program process: stdio, fds, cwd, exec. Never returns.
static void exec_program(const struct wsp_config *c, int errfd, int statusfd, const sigset_t *empty) {
    // execve resets caught signals to SIG_DFL; only the mask needs restoring.
    if (sigprocmask(SIG_SETMASK, empty, NULL) != 0) report(errfd, WSP_ST_STDIO, -1, 127);
    if (dup2(c->stdin_fd, 0) < 0 || dup2(c->stdout_fd, 1) < 0 || dup2(c->stderr_fd, 2) < 0)
        report(errfd, WSP_ST_STDIO, -1, 127);
    close(statusfd);
    // --tty: a new session whose controlling terminal is the pty slave on fd 0.
    if (c->controlling_tty && (setsid() < 0 || ioctl(0, TIOCSCTTY, 0) != 0)) report(errfd, WSP_ST_STDIO, -1, 127);
    // Everything beyond 0-2 (inherited from Warden) disappears at exec, including errfd.
    if (w_close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) report(errfd, WSP_ST_STDIO, -1, 127);
    if (chdir(c->cwd) != 0) report(errfd, WSP_ST_CHDIR, -1, 127);
    WSP_TS(WSP_TP_P_EXEC);
    execve(c->exec_path, c->argv, c->envp);
    report(errfd, WSP_ST_EXEC, -1, 127);
}

/// The program is started like posix_spawn does: sharing init's memory until its execve
/// (CLONE_VM | CLONE_VFORK), on this stack. Init is a copy of Warden's large address space;
/// a plain fork would copy all its page tables again just to exec.
static char program_stack[64 * 1024] __attribute__((aligned(16)));

struct program_args {
    const struct wsp_config *c;
    int errfd, statusfd;
    const sigset_t *empty;
};

static int program_main(void *arg) {
    const struct program_args *a = arg;
    exec_program(a->c, a->errfd, a->statusfd, a->empty);
    return 127;
}

/// PID 1: reap everything, forward signals to the program, report its status, exit.
__attribute__((noreturn)) static void init_loop(pid_t program, int statusfd) {
    sigset_t all;
    sigfillset(&all);
    int program_status = 0;
    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(&all, &info);
        if (sig < 0) continue;
        if (sig == SIGCHLD) {
            WSP_TS(WSP_TP_I_CHLD);
            int st;
            pid_t p;
            while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
                if (p == program) {
                    program_status = st;
                    ssize_t ignored = write(statusfd, &program_status, sizeof(program_status));
                    (void)ignored;
                    WSP_TS(WSP_TP_I_EXIT);
                    // Exiting PID 1 makes the kernel SIGKILL everything left in the namespace.
                    _exit(0);
                }
            }
        } else {
            kill(program, sig);
        }
    }
}

void wsp_child_main(const struct wsp_config *c, int syncfd, int errfd, int statusfd) {
    char go = 0;
    WSP_TS(WSP_TP_C_START);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) FAIL(WSP_ST_PDEATHSIG, -1);
    if (read(syncfd, &go, 1) != 1) _exit(126);   // parent gone or failed: just leave
    WSP_TS(WSP_TP_C_GO);
    if (!c->rootless) {
        if (c->memfd_noexec_path) {
            // vm.memfd_noexec=2 for our new PID namespace (Linux 6.3+): no executable memfds, so
            // code cannot be exec'd from memory around the Landlock EXECUTE allowlist. Written
            // through the host /proc while we are still global root (the sysctl acts on the
            // writer's PID namespace; only global root passes its permission check).
            int fd = open(c->memfd_noexec_path, O_WRONLY | O_CLOEXEC);
            if (fd >= 0) {
                ssize_t n = write(fd, "2", 1);
                close(fd);
                if (n != 1) FAIL(WSP_ST_MEMFD_NOEXEC, -1);
            } else if (errno != ENOENT) {
                FAIL(WSP_ST_MEMFD_NOEXEC, -1);
            }
        }
        // Host root's kuid 0 is unmapped here; become the namespace's root (mapped to a spare
        // unprivileged host uid) so the setup can create files, and shed host groups.
        if (w_setgroups0() != 0) FAIL(WSP_ST_SETGROUPS, -1);
        if (w_setresgid(0, 0, 0) != 0) FAIL(WSP_ST_SETGID, -1);
        if (w_setresuid(0, 0, 0) != 0) FAIL(WSP_ST_SETUID, -1);
    }

    WSP_TS(WSP_TP_C_IDENTITY);
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) FAIL(WSP_ST_PRIVATE, -1);
    // A scratch tmpfs over `base` (/tmp), in our private mount namespace only, becomes a
    // temporary root holding the host root at /oldroot (bind sources are read from there) and
    // the sandbox root being assembled at /newroot. Nothing is created on the host.
    if (mount("tmpfs", c->base, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=16k") != 0)
        FAIL(WSP_ST_ROOT_TMPFS, -1);
    if (chdir(c->base) != 0 || mkdir("newroot", 0755) != 0 || mkdir("oldroot", 0755) != 0
        || w_pivot_root(".", "oldroot") != 0 || chdir("/") != 0)
        FAIL(WSP_ST_PIVOT, -1);
    if (mount("tmpfs", WSP_NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV, c->root_options) != 0)
        FAIL(WSP_ST_ROOT_TMPFS, -1);
    WSP_TS(WSP_TP_C_SCRATCH);
    for (int i = 0; i < c->nops; i++) {
        uint64_t t0 = wsp_trace_buf ? wsp_trace_now() : 0;
        if (run_op(&c->ops[i]) != 0) {
            // A mask that cannot reach its destination hides the directory in the way instead.
            if (!c->ops[i].mask || mask_blocking_directory(c->ops[i].dst) != 0) FAIL(WSP_ST_OP, i);
        }
        if (wsp_trace_buf && c->ops[i].kind > 0 && c->ops[i].kind < 16) {
            wsp_trace_buf->op_ns[c->ops[i].kind] += wsp_trace_now() - t0;
            wsp_trace_buf->op_count[c->ops[i].kind] += 1;
        }
    }
    if (sethostname(c->hostname, strlen(c->hostname)) != 0) FAIL(WSP_ST_HOSTNAME, -1);
    WSP_TS(WSP_TP_C_OPS);

    // pivot_root(".", ".") stacks the scratch root (with the host root under /oldroot) on the
    // new one; one lazy detach removes both, leaving nothing of the host (and costing the
    // kernel one RCU grace period, not two).
    if (chdir(WSP_NEWROOT) != 0 || w_pivot_root(".", ".") != 0 || umount2(".", MNT_DETACH) != 0 || chdir("/") != 0)
        FAIL(WSP_ST_PIVOT, -1);
    WSP_TS(WSP_TP_C_PIVOT);
    struct w_mount_attr ro = { 0 };
    ro.attr_set = W_MOUNT_ATTR_RDONLY | W_MOUNT_ATTR_NOSUID | W_MOUNT_ATTR_NODEV;
    if (w_mount_setattr(AT_FDCWD, "/", 0, &ro) != 0) FAIL(WSP_ST_ROOT_RO, -1);
    WSP_TS(WSP_TP_C_ROOTRO);

    // Second sync: the parent has placed us in the per-run cgroups; only now does the cgroup
    // namespace get rooted there, and nothing of the program runs before it.
    // Second sync: the parent created the per-run cgroups while we assembled the root, and
    // hands them over now, before anything of the program exists (everything forked later
    // inherits them). 'j': join the v1 cgroups whose `tasks` files come with the message, by
    // writing "0": that moves only the calling thread, which the kernel does without its global
    // threadgroup lock (and the RCU grace period taking it costs); we are single-threaded, so
    // the thread is the whole process. The write is checked against the credentials of the
    // file's opener (Warden). 'p': the parent moved us (v2). 'n': no cgroup (rlimit fallback).
    int cgfds[WSP_MAX_CGROUP_FDS];
    int ncg = recv_handoff(syncfd, &go, cgfds);
    if (ncg < 0 || (go != 'j' && go != 'p' && go != 'n') || (go != 'j' && ncg != 0)) _exit(126);
    for (int i = 0; i < ncg; i++) {
        if (write(cgfds[i], "0", 1) != 1) FAIL(WSP_ST_CGROUP, i);
        close(cgfds[i]);
    }
    WSP_TS(WSP_TP_C_CGJOIN);
    const struct wsp_rlimit *rlimits = go == 'n' ? c->rlimits_fallback : c->rlimits;
    int nrlimits = go == 'n' ? c->nrlimits_fallback : c->nrlimits;
    if ((c->clone_flags & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) != 0) FAIL(WSP_ST_CGROUPNS, -1);

    WSP_TS(WSP_TP_C_CGSYNC);
    int ruleset = build_landlock(c, errfd);
    WSP_TS(WSP_TP_C_LANDLOCK);
    drop_privileges(c, errfd);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) FAIL(WSP_ST_NNP, -1);
    if (syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) FAIL(WSP_ST_LANDLOCK_RESTRICT, -1);
    close(ruleset);

    // Changing uids cleared the parent-death signal: arm it again, then check the lifeline
    // (the parent holds the sync pipe's write end for the whole run) in case it died meanwhile.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) FAIL(WSP_ST_PDEATHSIG, -1);
    struct pollfd life = { syncfd, POLLIN, 0 };
    if (poll(&life, 1, 0) != 0) _exit(126);
    close(syncfd);
    WSP_TS(WSP_TP_C_PRIVS);

    for (int i = 0; i < nrlimits; i++) {
        struct rlimit64 rl = { rlimits[i].soft, rlimits[i].hard };
        if (syscall(SYS_prlimit64, 0, rlimits[i].resource, &rl, NULL) != 0) FAIL(WSP_ST_RLIMIT, i);
    }

    WSP_TS(WSP_TP_C_RLIMITS);
    struct sock_fprog prog = { (unsigned short)c->bpf_count, (struct sock_filter *)c->bpf };
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) FAIL(WSP_ST_SECCOMP, -1);
    WSP_TS(WSP_TP_C_SECCOMP);

    // PID 1 drops signals whose disposition is SIG_DFL, even from Warden: give the forwardable
    // ones a (never run) handler so they queue while blocked and sigwaitinfo can forward them.
    static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGALRM };
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = noop_handler;
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++) sigaction(forwarded[i], &sa, NULL);
    sigset_t all, empty;
    sigfillset(&all);
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &all, NULL);
    // Init is non-dumpable before the program exists: otherwise the program (same uid when
    // rootless) could open /proc/1/root or /proc/1/fd in the window before init drops it.
    // The program inherits the flag only until its execve, which resets it.
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) FAIL(WSP_ST_DUMPABLE, -1);
    // The child only issues syscalls before execve (its own fd table and cwd: no CLONE_FILES
    // or CLONE_FS), so sharing memory with init until then is safe; init resumes after it.
    WSP_TS(WSP_TP_C_SIGNALS);
    struct program_args args = { c, errfd, statusfd, &empty };
    pid_t program = (pid_t)clone(program_main, program_stack + sizeof(program_stack),
                                 CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
    if (program < 0) FAIL(WSP_ST_FORK, -1);
    WSP_TS(WSP_TP_C_PROGRAM);

    // Init keeps only the status pipe; nothing from Warden stays reachable through /proc/1/fd.
    for (int fd = 0; fd < 3; fd++) if (fd != statusfd) close(fd);
    if (statusfd > 3) w_close_range(3, (unsigned)statusfd - 1, 0);
    w_close_range((unsigned)statusfd + 1, ~0U, 0);
    init_loop(program, statusfd);
}
