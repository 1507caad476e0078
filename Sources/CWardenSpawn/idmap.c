// Idmapped bind mounts for --rw as root: a detached clone of the host directory whose on-disk
// owner appears as the sandbox's host uid, so the tool can write while the files it creates
// stay owned (on disk) by the directory's owner.
#include "syscalls.h"
#include "wardenspawn.h"

#include <sched.h>
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
    int hold[2];
    if (pipe2(hold, O_CLOEXEC) != 0) return -errno;
    // A throwaway process owns the user namespace that carries the mapping.
    pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
    if (pid < 0) { int e = errno; close(hold[0]); close(hold[1]); return -e; }
    if (pid == 0) {
        char b;
        close(hold[1]);
        ssize_t ignored = read(hold[0], &b, 1);
        (void)ignored;
        _exit(0);
    }
    close(hold[0]);
    int rc = write_map(pid, "uid_map", disk_uid, host_uid);
    if (rc == 0) rc = write_map(pid, "gid_map", disk_gid, host_gid);
    int nsfd = -1;
    if (rc == 0) {
        char nspath[64];
        snprintf(nspath, sizeof(nspath), "/proc/%d/ns/user", (int)pid);
        nsfd = open(nspath, O_RDONLY | O_CLOEXEC);
        if (nsfd < 0) rc = -errno;
    }
    close(hold[1]);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    if (rc != 0) return rc;

    int tree = w_open_tree(AT_FDCWD, path, W_OPEN_TREE_CLONE | W_OPEN_TREE_CLOEXEC);
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
