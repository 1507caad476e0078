import Foundation
import Testing

/// One attack and the matching allowed action, both run through `warden exec` with the probe.
struct Attack: Sendable, CustomTestStringConvertible {
    let name: String
    let attack: [String]
    /// Expected start of the probe's verdict line for the attack.
    let denied: String
    let control: [String]
    let controlFlags: [String]
    /// Expected start of the control's verdict line.
    let allowed: String

    init(_ name: String, _ attack: [String], _ denied: String, control: [String], flags: [String] = [], allowed: String = "ok") {
        self.name = name
        self.attack = attack
        self.denied = denied
        self.control = control
        self.controlFlags = flags
        self.allowed = allowed
    }

    var testDescription: String { name }
}

/// The kernel-surface attacks from the issue, each paired with an allowed control, in both
/// root and rootless mode.
let attacks: [Attack] = [
    Attack("read /etc/shadow", ["read", "/etc/shadow"], "err ENOENT", control: ["read", "/etc/passwd"]),
    Attack("write /usr", ["write", "/usr/pwned"], "err EROFS", control: ["write", "/tmp/fine"]),
    Attack("write /", ["write", "/pwned"], "err EROFS", control: ["write", "/tmp/fine"]),
    Attack("overwrite /etc/passwd", ["write", "/etc/passwd"], "err EROFS", control: ["read", "/etc/passwd"]),
    Attack("/proc/1/root traversal", ["read", "/proc/1/root/etc/passwd"], "err EACCES", control: ["read", "/proc/self/root/etc/passwd"]),
    Attack("write /proc/self/exe", ["write", "/proc/self/exe"], "err E", control: ["read", "/proc/self/exe"]),
    Attack("read /sys", ["read", "/sys/kernel/notes"], "err ENOENT", control: ["read", "/proc/self/status"]),
    Attack("read /dev/mem", ["read", "/dev/mem"], "err ENOENT", control: ["read", "/dev/urandom"]),
    Attack("read /dev/kmsg", ["read", "/dev/kmsg"], "err ENOENT", control: ["read", "/dev/zero"]),
    Attack("create a device entry in /dev", ["write", "/dev/evil"], "err EROFS", control: ["write", "/dev/shm/fine"]),
    Attack("mount tmpfs", ["mount"], "err EPERM", control: ["read", "/proc/self/mountinfo"]),
    Attack("umount /usr", ["umount", "/usr"], "err EPERM", control: ["chdir", "/usr"]),
    Attack("unshare user ns", ["unshare-user"], "err EPERM", control: ["fork"]),
    Attack("unshare mount ns", ["unshare-ns"], "err EPERM", control: ["fork"]),
    Attack("clone(CLONE_NEWUSER)", ["clone-newuser"], "err EPERM", control: ["fork"]),
    Attack("setns", ["setns"], "err EPERM", control: ["readlink", "/proc/self/ns/net"]),
    Attack("chroot", ["chroot"], "err EPERM", control: ["chdir", "/tmp"]),
    Attack("ptrace attach init", ["ptrace", "1"], "err EPERM", control: ["getpid"]),
    Attack("ptrace traceme", ["ptrace-traceme"], "err EPERM", control: ["getpid"]),
    Attack("keyctl", ["keyctl"], "err EPERM", control: ["getpid"]),
    Attack("add_key", ["add_key"], "err EPERM", control: ["getpid"]),
    Attack("bpf", ["bpf"], "err EPERM", control: ["getpid"]),
    Attack("perf_event_open", ["perf"], "err EPERM", control: ["getpid"]),
    Attack("io_uring_setup", ["io_uring"], "err EPERM", control: ["getpid"]),
    Attack("userfaultfd", ["userfaultfd"], "err EPERM", control: ["getpid"]),
    Attack("TIOCSTI", ["tiocsti", "1"], "err EPERM", control: ["tcgets", "1"], allowed: "err ENOTTY"),
    Attack("TIOCSETD (line discipline)", ["tiocsetd", "1"], "err EPERM", control: ["tcgets", "1"], allowed: "err ENOTTY"),
    Attack("raw socket", ["raw-socket"], "err EPERM", control: ["udp-socket"]),
    Attack("packet socket", ["packet-socket"], "err EPERM", control: ["socketpair"]),
    Attack("AF_VSOCK to the hypervisor host", ["vsock", "2", "1024"], "err EPERM socket", control: ["udp-socket"]),
    Attack("AF_ALG kernel crypto socket", ["alg-socket"], "err EPERM", control: ["udp-socket"]),
    Attack("TCP bind", ["bind"], "err EACCES", control: ["socketpair"]),
    Attack("DNS lookup", ["dns", "example.com"], "err ", control: ["dns", "localhost"]),
    Attack("clock_settime", ["settime"], "err EPERM", control: ["gettime"]),
    Attack("settimeofday", ["settimeofday"], "err EPERM", control: ["gettime"]),
    Attack("sethostname", ["sethostname", "evil"], "err EPERM", control: ["hostname"], allowed: "ok warden"),
    Attack("personality(PER_LINUX32)", ["personality", "8"], "err EPERM", control: ["personality", "0"]),
    Attack("exec a binary not allowed", ["exec", "/usr/bin/id"], "err EACCES", control: ["exec", "/usr/bin/id"],
           flags: ["--allow-exec", "/usr/bin/id"], allowed: "uid=1000(sandbox)"),
    Attack("read host environment", ["env", "WARDEN_TEST_SECRET"], "err ENOENT", control: ["env", "WARDEN_TEST_SECRET"],
           flags: ["--env", "WARDEN_TEST_SECRET=given"], allowed: "ok WARDEN_TEST_SECRET=given"),
]

/// Every test that starts sandboxes runs serialized under this suite, so the leak check sees
/// only its own runs and timing-sensitive attacks are not starved on small machines.
@Suite("Sandbox end-to-end", .serialized)
struct SandboxEndToEnd {}

extension SandboxEndToEnd {
@Suite("Escape suite: kernel surface")
struct EscapeTableTests {
    @Test(arguments: Harness.Mode.allCases, attacks)
    func attackDeniedControlAllowed(mode: Harness.Mode, attack: Attack) throws {
        let denied = try Harness.probe(mode, attack.attack)
        #expect(denied.verdict.hasPrefix(attack.denied), "\(attack.name): \(denied.stdout) \(denied.stderr)")
        #expect(denied.status == 1, "\(attack.name): probe status \(denied.status) \(denied.stderr)")
        let allowed = try Harness.probe(mode, flags: attack.controlFlags, attack.control)
        #expect(allowed.verdict.hasPrefix(attack.allowed), "\(attack.name) control: \(allowed.stdout) \(allowed.stderr)")
    }
}
}
