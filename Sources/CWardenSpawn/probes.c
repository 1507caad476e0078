// Doctor probes: each primitive is tried for real in a short-lived child process, so the
// answer never comes from version numbers.
#include "syscalls.h"
#include "wardenspawn.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <grp.h>
#include <sys/wait.h>

/// Runs `fn(arg)` in a forked child and returns its result (0 = works, else errno).
static int in_child(int (*fn)(uint64_t, int), uint64_t arg, int uid) {
    pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (pid < 0) return errno;
    if (pid == 0) _exit(fn(arg, uid) & 0xff);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0) { if (errno != EINTR) return errno; }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

static int do_unshare(uint64_t flags, int uid) {
    if (uid >= 0) {
        // Raw syscalls: after a raw clone glibc's wrappers can wait forever (see syscalls.h).
        if (w_setgroups0() != 0 || w_setresgid(uid, uid, uid) != 0 || w_setresuid(uid, uid, uid) != 0) return errno;
    }
    return unshare((int)flags) == 0 ? 0 : errno;
}

int wsp_probe_unshare(uint64_t flags) { return in_child(do_unshare, flags, -1); }
int wsp_probe_unshare_as(uint64_t flags, int uid) { return in_child(do_unshare, flags, uid); }

static int do_seccomp(uint64_t unused, int uid) {
    (void)unused; (void)uid;
    struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
    struct sock_fprog prog = { 1, allow };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0 ? 0 : errno;
}

int wsp_probe_seccomp(void) { return in_child(do_seccomp, 0, -1); }

int wsp_probe_pidfd(void) {
    int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    if (fd < 0) return errno;
    close(fd);
    return 0;
}

int wsp_probe_kvm(void) {
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) return errno;
    // KVM_GET_API_VERSION must answer 12, and KVM_CREATE_VM / KVM_CREATE_VCPU must succeed.
    int version = ioctl(fd, 0xAE00, 0);
    if (version != 12) { int e = version < 0 ? errno : EPROTO; close(fd); return e; }
    int vm = ioctl(fd, 0xAE01, 0);
    int e = vm < 0 ? errno : 0;
    if (vm >= 0) {
        int vcpu = ioctl(vm, 0xAE41, 0);   // KVM_CREATE_VCPU
        if (vcpu < 0) e = errno; else close(vcpu);
        close(vm);
    }
    close(fd);
    return e;
}
