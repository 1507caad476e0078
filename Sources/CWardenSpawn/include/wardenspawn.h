// The post-clone half of Warden's sandbox. Swift prepares every byte (paths, maps, BPF,
// Landlock rules, argv/envp) in a `wsp_config`; `wsp_spawn` clones into fresh namespaces and
// the child only issues syscalls (no allocation, no locks), reporting failures as
// (stage, errno) through a close-on-exec pipe.
#ifndef WARDEN_SPAWN_H
#define WARDEN_SPAWN_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Where the child assembles the sandbox root and sees the host root, between its two
/// pivot_roots. Op destinations are under WSP_NEWROOT, bind sources under WSP_OLDROOT.
#define WSP_NEWROOT "/newroot"
#define WSP_OLDROOT "/oldroot"

/// Mount-plan operations, executed in order by the child before pivot_root.
enum wsp_op_kind {
    WSP_OP_DIR = 1,        // mkdir(dst, mode); EEXIST is fine
    WSP_OP_FILE = 2,       // create empty file dst (a bind mountpoint)
    WSP_OP_BIND = 3,       // bind src -> dst (recursive), then set ro/nosuid/nodev recursively
    WSP_OP_TMPFS = 4,      // tmpfs on dst with options data
    WSP_OP_PROC = 5,       // fresh proc on dst
    WSP_OP_WRITE = 6,      // create dst with content (src, src_len), mode
    WSP_OP_SYMLINK = 7,    // symlink(src, dst)
    WSP_OP_READONLY = 8,   // make the mount at dst read-only, nosuid, nodev (not recursive)
    WSP_OP_MOVE_FD = 9,    // move_mount(fd, "", dst): an idmapped tree prepared by the parent
    WSP_OP_COPY_FD = 10,   // create dst (mode) holding src_len bytes of the sealed memfd fd
    WSP_OP_NOEXEC = 11,    // make every mount at and below dst noexec (recursive)
    WSP_OP_EXEC_BIND = 12, // bind the sandbox's own dst over itself, read-only and executable
};

struct wsp_op {
    int kind;
    const char *src;
    size_t src_len;
    const char *dst;
    const char *data;
    int mode;
    int readonly;
    int nodev;
    int fd;
    /// 1: the op hides dst; when dst cannot be reached (search denied on the way) the tool
    /// cannot reach it either, and the op is skipped.
    int mask;
};

struct wsp_ll_rule {
    const char *path;      // path inside the sandbox (after pivot_root)
    uint64_t access;
};

struct wsp_rlimit {
    int resource;
    uint64_t soft;
    uint64_t hard;
};

struct wsp_config {
    const char *base;                    // existing host dir (/tmp) the child covers with a
                                         // scratch tmpfs in its own mount namespace
    const struct wsp_op *ops; int nops;
    const char *hostname;
    const char *root_options;            // tmpfs options of the new root (its size covers copied files)
    const char *memfd_noexec_path;       // /proc/sys/vm/memfd_noexec (root mode), or NULL

    int landlock_abi;                    // >= 1 (Swift refuses otherwise)
    uint64_t ll_handled_fs, ll_handled_net, ll_scoped;
    const struct wsp_ll_rule *ll_rules; int nll_rules;
    const uint16_t *ll_connect_ports; int nll_connect_ports;  // TCP ports connect() may name (egress)

    const void *bpf; int bpf_count;      // struct sock_filter[bpf_count]
    const struct wsp_rlimit *rlimits; int nrlimits;                    // with a cgroup
    const struct wsp_rlimit *rlimits_fallback; int nrlimits_fallback;  // without (handoff 'n')

    const char *exec_path;
    char *const *argv;
    char *const *envp;
    const char *cwd;

    int rootless;                        // 1: caller is unprivileged (setgroups deny)
    int inside_uid, inside_gid;
    const char *uid_map, *gid_map;
    int cap_last_cap;

    int stdin_fd, stdout_fd, stderr_fd;
    int controlling_tty;                 // 1: stdin is a pty slave to become the controlling tty
    uint64_t clone_flags;
    /// >= 0: the child is created inside this cgroup v2 directory (clone3 CLONE_INTO_CGROUP),
    /// which costs nothing where moving a running process in afterwards waits for an RCU grace
    /// period (milliseconds). -1: none.
    int into_cgroup_fd;
};

/// Stages reported back by the child (with errno).
enum wsp_stage {
    WSP_ST_CLONE = 1, WSP_ST_MAPS, WSP_ST_CGROUP, WSP_ST_SYNC, WSP_ST_SETGROUPS, WSP_ST_CGROUPNS,
    WSP_ST_PRIVATE, WSP_ST_ROOT_TMPFS, WSP_ST_OP, WSP_ST_HOSTNAME, WSP_ST_PIVOT, WSP_ST_ROOT_RO,
    WSP_ST_LANDLOCK_CREATE, WSP_ST_LANDLOCK_RULE, WSP_ST_SECUREBITS, WSP_ST_CAPBSET, WSP_ST_AMBIENT,
    WSP_ST_SETGID, WSP_ST_SETUID, WSP_ST_CAPSET, WSP_ST_NNP, WSP_ST_LANDLOCK_RESTRICT,
    WSP_ST_RLIMIT, WSP_ST_SECCOMP, WSP_ST_FORK, WSP_ST_STDIO, WSP_ST_CHDIR, WSP_ST_EXEC,
    WSP_ST_DUMPABLE, WSP_ST_PDEATHSIG, WSP_ST_MEMFD_NOEXEC,
};

struct wsp_result {
    pid_t pid;          // init's pid in the caller's namespace
    int pidfd;          // pidfd of init (poll: readable when it exits)
    int status_fd;      // init writes the program's raw wait status (4 bytes) here
    int lifeline_fd;    // the sync socket: cgroup handoff, then kept open while the sandbox
                        // runs; closing it before init armed its parent-death signal makes
                        // init exit
    int err_fd;         // setup failures arrive here as (stage, errno, index); non-blocking
    int err_stage;      // 0 on success
    int err_errno;
    int err_index;      // which op / rule failed, -1 otherwise
};

/// At most this many cgroup membership files are handed to the child.
#define WSP_MAX_CGROUP_FDS 8

/// How the per-run cgroups reach the child (`wsp_spawn_handoff`).
enum wsp_handoff {
    WSP_HANDOFF_JOIN = 'j',   // v1 `tasks` fds go to the child, which joins by writing "0"
    WSP_HANDOFF_PROCS = 'p',  // v2: Warden writes the child's pid to each `cgroup.procs` fd
    WSP_HANDOFF_NONE = 'n',   // no cgroup (rlimit fallback): the child applies rlimits_fallback
};

/// Clones the sandbox into its namespaces, writes its identity maps and releases it to
/// assemble its root. It then waits for `wsp_spawn_handoff` before anything of the program
/// runs, so the caller can create the cgroups meanwhile. Returns 0, or -1 with err_* filled
/// (no process left behind).
int wsp_spawn_start(const struct wsp_config *config, struct wsp_result *result);

/// Hands the per-run cgroups to the started child (see `wsp_handoff`); the child then drops
/// its privileges and starts the program without the caller waiting for it. A setup failure
/// after this point is read with `wsp_spawn_failure` once init has exited. Returns 0, or -1
/// with err_* filled (the child is then killed, reaped, and every fd closed).
int wsp_spawn_handoff(struct wsp_result *result, int mode, const int *fds, int nfds);

/// Kills and reaps a started child that will not be handed off; closes its fds.
void wsp_spawn_abort(struct wsp_result *result);

/// After init has exited: 1 and err_* filled if setup (or the program's execve) failed and
/// reported why; 0 if the program ran.
int wsp_spawn_failure(struct wsp_result *result);

/// Sends a signal to a process through its pidfd.
int wsp_pidfd_kill(int pidfd, int sig);

/// pipe2(O_CLOEXEC) and getrandom, which Swift's Glibc module does not export.
int wsp_pipe_cloexec(int fds[2]);
int wsp_random(void *buf, size_t len);

/// While a sandbox runs, SIGTERM/SIGINT/SIGHUP/SIGQUIT sent to Warden go to its init (which
/// forwards them to the program). Pass -1 to restore the default dispositions.
void wsp_forward_signals(int pidfd);

/// A new pseudo-terminal pair (both close-on-exec); 0 or -errno.
int wsp_open_pty(int *master, int *slave);

/// Copies the terminal window size of `from` (if it is a terminal) to `to`.
void wsp_copy_winsize(int from, int to);

/// Landlock ABI version (or -errno).
int wsp_landlock_abi(void);

/// Creates a detached, idmapped clone of `path` where on-disk owner `disk_uid/disk_gid`
/// appears as `host_uid/host_gid`. Returns the tree fd or -errno; must run as host root.
int wsp_idmapped_tree(const char *path, uint32_t disk_uid, uint32_t disk_gid,
                      uint32_t host_uid, uint32_t host_gid, int readonly);

/// A detached recursive clone of `path` with nosuid (and ro/nodev as asked), made by the
/// caller's credentials: as root, bind sources need not be reachable by the sandbox uid.
/// Returns the tree fd or -errno.
int wsp_clone_tree(const char *path, int recursive, int readonly, int nodev);

/// Benchmark floor: clone3 with `flags` (writing identity maps for a user namespace), the
/// child optionally switching to a fresh tmpfs root (pivot_root + detach), exit, and reap.
/// Returns the elapsed nanoseconds or -errno.
int64_t wsp_bench_namespace_floor(uint64_t flags, int switch_root);

/// Doctor probes: each tries the primitive in a short-lived child. 0 = works, else errno.
int wsp_probe_unshare(uint64_t flags);
int wsp_probe_seccomp(void);
int wsp_probe_pidfd(void);
/// Opens /dev/kvm, checks the API version and creates (and drops) a VM.
int wsp_probe_kvm(void);
int wsp_probe_unshare_as(uint64_t flags, int uid);

/// Benchmark-only stage stamps (CLOCK_MONOTONIC ns, 0 = not reached), shared between the
/// parent, the sandbox's init and the program process until its execve. Disabled (NULL)
/// unless `wsp_trace_enable` was called; never used by `warden` itself.
#define WSP_TRACE_POINTS 64
struct wsp_trace {
    uint64_t t[WSP_TRACE_POINTS];
    uint64_t op_ns[16];      // child: total time per mount-plan op kind (wsp_op_kind)
    uint32_t op_count[16];
};
enum wsp_trace_point {
    // parent (Swift): run start, planned, cgroups ready, about to spawn
    WSP_TP_RUN = 0, WSP_TP_PLANNED, WSP_TP_CGROUPS, WSP_TP_PRESPAWN,
    // parent (C): clone3 returned, maps written, released, cgroups handed over, exec seen
    WSP_TP_CLONED, WSP_TP_MAPS, WSP_TP_RELEASED, WSP_TP_CGHANDOFF, WSP_TP_EXECSEEN,
    // parent (Swift): supervisor done (init reaped), report built, cgroups removed
    WSP_TP_SUPERVISED, WSP_TP_REPORTED, WSP_TP_DONE,
    // parent (Swift), inside the cgroup creation: layout read, stale runs swept, mkdir, limits
    WSP_TP_CG_LAYOUT = 12, WSP_TP_CG_SWEPT, WSP_TP_CG_MKDIR, WSP_TP_CG_LIMITS,
    // child: first instruction, released, cgroups joined, identity set, scratch root,
    // mount ops done, pivot + detach, root ro, cgroup sync + ns, Landlock built,
    // privileges dropped + restricted, rlimits, seccomp, signals/dumpable, program cloned
    WSP_TP_C_START = 16, WSP_TP_C_GO, WSP_TP_C_CGJOIN, WSP_TP_C_IDENTITY, WSP_TP_C_SCRATCH,
    WSP_TP_C_OPS, WSP_TP_C_PIVOT, WSP_TP_C_ROOTRO, WSP_TP_C_CGSYNC, WSP_TP_C_LANDLOCK,
    WSP_TP_C_PRIVS, WSP_TP_C_RLIMITS, WSP_TP_C_SECCOMP, WSP_TP_C_SIGNALS, WSP_TP_C_PROGRAM,
    // program process just before execve; init: SIGCHLD of the program, about to exit
    WSP_TP_P_EXEC = 40, WSP_TP_I_CHLD, WSP_TP_I_EXIT,
};
int wsp_trace_enable(void);
struct wsp_trace *wsp_trace_get(void);
void wsp_trace_reset(void);
void wsp_trace_stamp(int point);
/// Nanoseconds now (CLOCK_MONOTONIC).
uint64_t wsp_trace_now(void);

#ifdef __cplusplus
}
#endif
#endif
