// Raw syscall wrappers and constants newer than the distro headers (Landlock ABI 7,
// mount_setattr, clone3). Kept private to the C target.
#ifndef WARDEN_SPAWN_SYSCALLS_H
#define WARDEN_SPAWN_SYSCALLS_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

#define W_MOUNT_ATTR_RDONLY 0x00000001
#define W_MOUNT_ATTR_NOSUID 0x00000002
#define W_MOUNT_ATTR_NODEV  0x00000004
#define W_MOUNT_ATTR_NOEXEC 0x00000008
#define W_MOUNT_ATTR_IDMAP  0x00100000
#define W_OPEN_TREE_CLONE   1
#define W_OPEN_TREE_CLOEXEC O_CLOEXEC
#define W_MOVE_MOUNT_F_EMPTY_PATH 0x00000004

// Credentials by raw syscall: glibc's setgroups/setresuid/setresgid apply the change to every
// thread of the process (__nptl_setxid) and wait for each to acknowledge. After clone the child
// has one thread but glibc's copied thread list still names the parent's, so the wrapper can
// wait forever on a thread that was being created or exiting at the moment of the clone (a
// served run hung until its wall limit this way). The kernel call changes only this task,
// which is all the single-threaded child ever needs.
static inline int w_setgroups0(void) { return (int)syscall(SYS_setgroups, 0, NULL); }
static inline int w_setresuid(uid_t r, uid_t e, uid_t s) { return (int)syscall(SYS_setresuid, r, e, s); }
static inline int w_setresgid(gid_t r, gid_t e, gid_t s) { return (int)syscall(SYS_setresgid, r, e, s); }

struct w_mount_attr {
    uint64_t attr_set;
    uint64_t attr_clr;
    uint64_t propagation;
    uint64_t userns_fd;
};

struct w_clone_args {
    uint64_t flags;
    uint64_t pidfd;
    uint64_t child_tid;
    uint64_t parent_tid;
    uint64_t exit_signal;
    uint64_t stack;
    uint64_t stack_size;
    uint64_t tls;
    uint64_t set_tid;
    uint64_t set_tid_size;
    uint64_t cgroup;
};

struct w_landlock_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
    uint64_t scoped;
};

struct w_landlock_path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

#define W_LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#define W_LANDLOCK_RULE_PATH_BENEATH 1
#define W_LANDLOCK_RULE_NET_PORT 2
struct w_landlock_net_port_attr {
    uint64_t allowed_access;
    uint64_t port;
} __attribute__((packed));
/// Rights that apply to a non-directory (Landlock rejects others on file rules).
#define W_LANDLOCK_FILE_RIGHTS ((1ULL << 0) | (1ULL << 1) | (1ULL << 2) | (1ULL << 14) | (1ULL << 15))

static inline long w_clone3(struct w_clone_args *args) {
    return syscall(SYS_clone3, args, sizeof(*args));
}
static inline int w_mount_setattr(int dfd, const char *path, unsigned flags, struct w_mount_attr *attr) {
    return (int)syscall(SYS_mount_setattr, dfd, path, flags, attr, sizeof(*attr));
}
static inline int w_open_tree(int dfd, const char *path, unsigned flags) {
    return (int)syscall(SYS_open_tree, dfd, path, flags);
}
static inline int w_move_mount(int from_dfd, const char *from, int to_dfd, const char *to, unsigned flags) {
    return (int)syscall(SYS_move_mount, from_dfd, from, to_dfd, to, flags);
}
// A bind source, opened without following any symlink (openat2 RESOLVE_NO_SYMLINKS |
// RESOLVE_NO_MAGICLINKS). Warden plans with the source's real path (realpath); a symlink that
// appears in it afterwards (a component swapped by someone with write access to a parent)
// makes this fail with ELOOP instead of binding whatever the symlink names. Trees are then
// cloned from the descriptor (open_tree AT_EMPTY_PATH), never looked up by path again.
struct w_open_how { uint64_t flags; uint64_t mode; uint64_t resolve; };
#define W_RESOLVE_NO_MAGICLINKS 0x02
#define W_RESOLVE_NO_SYMLINKS   0x04
static inline int w_open_source(const char *path) {
    struct w_open_how how = { (uint64_t)(O_PATH | O_CLOEXEC), 0, W_RESOLVE_NO_SYMLINKS | W_RESOLVE_NO_MAGICLINKS };
    return (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
}
// A detached clone (open_tree OPEN_TREE_CLONE | `flags`) of the tree at `path`, opened with
// w_open_source. Returns the tree fd, or -1 with errno set.
static inline int w_clone_source(const char *path, unsigned flags) {
    int src = w_open_source(path);
    if (src < 0) return -1;
    int tree = w_open_tree(src, "", W_OPEN_TREE_CLONE | W_OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | flags);
    int saved = errno;
    close(src);
    errno = saved;
    return tree;
}
static inline int w_pivot_root(const char *new_root, const char *put_old) {
    return (int)syscall(SYS_pivot_root, new_root, put_old);
}
static inline int w_close_range(unsigned first, unsigned last, unsigned flags) {
    return (int)syscall(SYS_close_range, first, last, flags);
}

#endif
