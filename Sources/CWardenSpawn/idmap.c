// Idmapped bind mounts for --rw as root: a detached clone of the host directory whose on-disk
// owner appears as the sandbox's host uid, so the tool can write while the files it creates
// stay owned (on disk) by the directory's owner.
#include "syscalls.h"
#include "wardenspawn.h"

#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <sys/wait.h>

static int write_map(pid_t pid, const char *file, uint32_t inside, uint32_t outside) {
    char path[64], line[64];
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
    int len = snprintf(line, sizeof(line), "%u %u 1\n", inside, outside);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    ssize_t n = write(fd, line, (size_t)len);
    int saved = errno;
    close(fd);
    return n == len ? 0 : -saved;
}

int wsp_idmapped_tree(const char *path, uint32_t disk_uid, uint32_t disk_gid,
                      uint32_t host_uid, uint32_t host_gid, int readonly) {
    // A throwaway process owns the user namespace that carries the mapping. It waits to be
    // killed, not for EOF on a pipe: in a server other threads clone concurrently, and a sibling
    // holding an inherited copy of the pipe's write end (as this child would hold theirs) kept
    // two such processes, and the runs waiting on them, blocked forever.
    pid_t parent = getpid();
    pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
    if (pid < 0) return -errno;
    if (pid == 0) {
        // Raw calls only (see syscalls.h); gone with the thread that cloned it, should that die.
        syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (syscall(SYS_getppid) != parent) syscall(SYS_exit_group, 0);
        for (;;) syscall(SYS_pause);
    }
    int rc = write_map(pid, "uid_map", disk_uid, host_uid);
    if (rc == 0) rc = write_map(pid, "gid_map", disk_gid, host_gid);
    int nsfd = -1;
    if (rc == 0) {
        char nspath[64];
        snprintf(nspath, sizeof(nspath), "/proc/%d/ns/user", (int)pid);
        nsfd = open(nspath, O_RDONLY | O_CLOEXEC);
        if (nsfd < 0) rc = -errno;
    }
    // Unreaped, the pid cannot be reused, so this signal reaches the throwaway process only.
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    if (rc != 0) return rc;

    int tree = w_clone_source(path, 0);
    if (tree < 0) { rc = -errno; close(nsfd); return rc; }
    struct w_mount_attr attr = { 0 };
    attr.attr_set = W_MOUNT_ATTR_IDMAP | W_MOUNT_ATTR_NOSUID | W_MOUNT_ATTR_NODEV
                  | (readonly ? W_MOUNT_ATTR_RDONLY : 0);
    attr.userns_fd = (uint64_t)nsfd;
    if (w_mount_setattr(tree, "", AT_EMPTY_PATH, &attr) != 0) {
        rc = -errno; close(nsfd); close(tree); return rc;
    }
    close(nsfd);
    return tree;
}

int wsp_clone_tree(const char *path, int recursive, int readonly, int nodev) {
    int tree = w_clone_source(path, recursive ? AT_RECURSIVE : 0);
    if (tree < 0) return -errno;
    struct w_mount_attr attr = { 0 };
    attr.attr_set = W_MOUNT_ATTR_NOSUID | (nodev ? W_MOUNT_ATTR_NODEV : 0) | (readonly ? W_MOUNT_ATTR_RDONLY : 0);
    if (w_mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr) != 0) {
        int rc = -errno;
        close(tree);
        return rc;
    }
    return tree;
}
