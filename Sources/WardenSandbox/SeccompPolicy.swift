/// The kernel attack surface a confined tool never needs (x86_64 numbers). Denied calls get
/// EPERM so well-behaved programs fail cleanly; foreign-architecture and x32 calls kill the
/// process (there is no safe way to answer a syscall table we do not filter).
public enum SeccompPolicy {
    /// Syscalls denied outright, by name (names are used in tests and docs).
    public static let denied: [(name: String, nr: UInt32)] = [
        ("ptrace", 101), ("syslog", 103), ("uselib", 134),
        ("vhangup", 153), ("modify_ldt", 154), ("pivot_root", 155), ("adjtimex", 159), ("chroot", 161),
        ("acct", 163), ("settimeofday", 164), ("mount", 165), ("umount2", 166), ("swapon", 167),
        ("swapoff", 168), ("reboot", 169), ("sethostname", 170), ("setdomainname", 171), ("iopl", 172),
        ("ioperm", 173), ("create_module", 174), ("init_module", 175), ("delete_module", 176),
        ("get_kernel_syms", 177), ("query_module", 178), ("quotactl", 179), ("nfsservctl", 180),
        ("lookup_dcookie", 212), ("clock_settime", 227), ("mbind", 237), ("set_mempolicy", 238),
        ("kexec_load", 246), ("add_key", 248), ("request_key", 249), ("keyctl", 250),
        ("migrate_pages", 256), ("unshare", 272), ("move_pages", 279), ("perf_event_open", 298),
        ("fanotify_init", 300), ("name_to_handle_at", 303), ("open_by_handle_at", 304),
        ("clock_adjtime", 305), ("setns", 308), ("process_vm_readv", 310), ("process_vm_writev", 311),
        ("kcmp", 312), ("finit_module", 313), ("kexec_file_load", 320), ("bpf", 321), ("userfaultfd", 323),
        ("io_uring_setup", 425), ("io_uring_enter", 426), ("io_uring_register", 427), ("open_tree", 428),
        ("move_mount", 429), ("fsopen", 430), ("fsconfig", 431), ("fsmount", 432), ("fspick", 433),
        ("pidfd_getfd", 438), ("mount_setattr", 442), ("quotactl_fd", 443), ("open_tree_attr", 467),
    ]

    static let nrClone: UInt32 = 56, nrClone3: UInt32 = 435, nrIoctl: UInt32 = 16
    static let nrMemfdCreate: UInt32 = 319, mfdExec: UInt32 = 0x10
    static let nrSocket: UInt32 = 41, nrSocketpair: UInt32 = 53, nrPersonality: UInt32 = 135

    /// CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET
    static let namespaceFlags: UInt32 = 0x0002_0000 | 0x0200_0000 | 0x0400_0000 | 0x0800_0000
        | 0x1000_0000 | 0x2000_0000 | 0x4000_0000
    /// TIOCSETD swaps a terminal's line discipline: kernel code (n_gsm, n_hdlc, ...) with a
    /// history of vulnerabilities that no tool needs to reach.
    static let tiocsti: UInt32 = 0x5412, tioclinux: UInt32 = 0x541C, tiocsetd: UInt32 = 0x5423
    static let afUnix: UInt32 = 1, afInet: UInt32 = 2, afInet6: UInt32 = 10, afNetlink: UInt32 = 16
    static let sockRaw: UInt32 = 3
    static let eperm: UInt16 = 1, enosys: UInt16 = 38
    /// S_ISUID | S_ISGID.
    static let setIDBits: UInt32 = 0o6000
    /// Calls that set a file's mode, and the argument holding it: chmod, fchmod, fchmodat,
    /// fchmodat2, open, openat, creat, mkdir, mkdirat, mknod, mknodat.
    static let modeArguments: [(name: String, nr: UInt32, arg: Int)] = [
        ("chmod", 90, 1), ("fchmod", 91, 1), ("fchmodat", 268, 2), ("fchmodat2", 452, 2),
        ("open", 2, 2), ("openat", 257, 3), ("creat", 85, 1), ("mkdir", 83, 1), ("mkdirat", 258, 2),
        ("mknod", 133, 1), ("mknodat", 259, 2),
    ]
    static let nrOpenat2: UInt32 = 437
    static let nrMmap: UInt32 = 9, nrMprotect: UInt32 = 10, nrPkeyMprotect: UInt32 = 329, nrShmat: UInt32 = 30
    static let protExec: UInt32 = 0x4, mapAnonymous: UInt32 = 0x20, shmExec: UInt32 = 0o100000

    /// The full rule list (the sandbox default: no `AF_UNIX` sockets, no executable memory).
    public static var rules: [SeccompRule] { rules(unixSockets: false) }

    /// The rule list. Without `unixSockets`, `socket(AF_UNIX, ...)` is denied: a path socket
    /// in a bound tree (a host daemon's, e.g. D-Bus or journald, mode 0666) accepts a connect
    /// from any uid even on a read-only mount, and Landlock (ABI ≤ 7) cannot restrict
    /// connecting to one. `socketpair` stays allowed, so in-process IPC keeps working.
    /// Without `executableMemory`, memory the program can write never becomes executable:
    /// code runs only from the files the view mounts executable (`MountPlan.confineExecution`).
    public static func rules(unixSockets: Bool, executableMemory: Bool = false) -> [SeccompRule] {
        var r = denied.map { SeccompRule(nr: $0.nr, action: .errno(eperm)) }
        // clone3 passes flags in memory BPF cannot read: answer ENOSYS so libc falls back to clone.
        r.append(SeccompRule(nr: nrClone3, action: .errno(enosys)))
        r.append(SeccompRule(nr: nrClone, tests: [.anyBits(arg: 0, mask: namespaceFlags)], action: .errno(eperm)))
        r.append(SeccompRule(nr: nrIoctl, tests: [.equals(arg: 1, value: tiocsti), .equals(arg: 1, value: tioclinux),
                                                  .equals(arg: 1, value: tiocsetd)],
                             action: .errno(eperm)))
        // Sockets: never SOCK_RAW; then only the address families the network namespace
        // isolates. AF_VSOCK is not namespaced (a sandbox could talk to the hypervisor host,
        // CID 2, past `--net none`), AF_ALG is kernel crypto attack surface, AF_PACKET needs
        // raw access; none of them, nor the rarer families, is needed by a tool.
        r.append(SeccompRule(nr: nrSocket, tests: [.maskedEquals(arg: 1, mask: 0xf, value: sockRaw)],
                             action: .errno(eperm), otherwise: nil))
        var families: [SeccompArgTest] = [.equals(arg: 0, value: afInet), .equals(arg: 0, value: afInet6),
                                          .equals(arg: 0, value: afNetlink)]
        if unixSockets { families.insert(.equals(arg: 0, value: afUnix), at: 0) }
        r.append(SeccompRule(nr: nrSocket, tests: families, action: .allow, otherwise: .errno(eperm)))
        // No set-user-ID or set-group-ID bit, ever: in a writable tree (idmapped to its host
        // owner) a program could otherwise leave a setuid-root binary on the host. openat2
        // keeps its mode in memory BPF cannot read: ENOSYS, and libc falls back to openat.
        for m in modeArguments {
            r.append(SeccompRule(nr: m.nr, tests: [.anyBits(arg: m.arg, mask: setIDBits)], action: .errno(eperm)))
        }
        r.append(SeccompRule(nr: nrOpenat2, action: .errno(enosys)))
        // SysV shared memory attached executable: a file the kernel's internal mount holds,
        // which no noexec mount covers.
        r.append(SeccompRule(nr: nrShmat, tests: [.anyBits(arg: 2, mask: shmExec)], action: .errno(eperm)))
        if executableMemory {
            // memfd_create(MFD_EXEC): explicitly executable anonymous files are never needed.
            r.append(SeccompRule(nr: nrMemfdCreate, tests: [.anyBits(arg: 1, mask: mfdExec)], action: .errno(eperm)))
        } else {
            // W^X for what the program can write. An anonymous mapping made executable at
            // mmap (PROT_EXEC with MAP_ANONYMOUS) or later (mprotect adding PROT_EXEC: mprotect
            // cannot tell anonymous from file memory, and ld.so never needs it for libraries
            // without text relocations or an executable stack, which admission refuses).
            r.append(SeccompRule(nr: nrMmap, tests: [.maskedEquals(arg: 2, mask: protExec, value: 0)], action: .allow, otherwise: nil))
            r.append(SeccompRule(nr: nrMmap, tests: [.anyBits(arg: 3, mask: mapAnonymous)], action: .errno(eperm)))
            r.append(SeccompRule(nr: nrMprotect, tests: [.anyBits(arg: 2, mask: protExec)], action: .errno(eperm)))
            r.append(SeccompRule(nr: nrPkeyMprotect, tests: [.anyBits(arg: 2, mask: protExec)], action: .errno(eperm)))
            // A memfd lives on the kernel's internal shmem mount, which is never noexec, and
            // `mmap(PROT_EXEC)` of one works even with MFD_NOEXEC_SEAL (measured on 6.18): no
            // memfds at all. /dev/shm and /tmp are noexec tmpfs for shared memory instead.
            r.append(SeccompRule(nr: nrMemfdCreate, action: .errno(eperm)))
        }
        // personality: only the query (0xffffffff) and PER_LINUX (0) are allowed.
        r.append(SeccompRule(nr: nrPersonality, tests: [.equals(arg: 0, value: 0), .equals(arg: 0, value: 0xffff_ffff)],
                             action: .allow, otherwise: .errno(eperm)))
        return r
    }

    /// The compiled x86_64 filter.
    public static func program(unixSockets: Bool = false, executableMemory: Bool = false) -> [BPFInstruction] {
        SeccompCompiler.compile(arch: SeccompCompiler.auditArchX86_64,
                                rules: rules(unixSockets: unixSockets, executableMemory: executableMemory))
    }

    /// `program()` and its kernel byte image for each combination of the two switches,
    /// compiled once per process: every sandbox with the same switches loads the same filter.
    static let variants: [CompiledFilter] = (0..<4).map {
        CompiledFilter(program(unixSockets: $0 & 1 != 0, executableMemory: $0 & 2 != 0))
    }
    /// The default filter.
    public static var compiled: CompiledFilter { variants[0] }

    /// The filter for `spec` (`SandboxSpec.unixSockets`, `SandboxSpec.executableMemory`).
    public static func compiled(for spec: SandboxSpec) -> CompiledFilter {
        variants[(spec.unixSockets ? 1 : 0) | (spec.executableMemory ? 2 : 0)]
    }
}

/// A compiled seccomp filter, ready for `SECCOMP_SET_MODE_FILTER`.
public struct CompiledFilter: Sendable, Equatable {
    public let instructions: [BPFInstruction]
    /// `struct sock_filter[]` bytes.
    public let bytes: [UInt8]

    public init(_ instructions: [BPFInstruction]) {
        self.instructions = instructions
        self.bytes = SeccompCompiler.bytes(instructions)
    }
}
