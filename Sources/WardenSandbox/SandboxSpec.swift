import WardenCore
import WardenNet

/// Everything the sandbox needs to run one program: a plain value that `warden exec` flags,
/// and later a policy, build. Defaults are the secure ones (no network, read-only system
/// directories, private /tmp, tight limits).
public struct SandboxSpec: Sendable, Equatable {
    /// One entry of the filesystem view.
    public enum Mount: Sendable, Equatable {
        /// Host `source` visible read-only at `destination`.
        case readOnly(source: String, destination: String)
        /// Host `source` writable at `destination` (idmapped when Warden runs as root).
        case readWrite(source: String, destination: String)
        /// A private tmpfs at `destination`, capped at `sizeMB`.
        case tmpfs(destination: String, sizeMB: Int)
        /// A read-only, executable (0555) file at `destination` holding the bytes of `fd`, a
        /// memfd sealed against writes, growth, shrinking and further sealing (a verified artifact). The bytes are
        /// copied into the sandbox's private root; nothing of the host is mounted. The caller
        /// keeps `fd` open until the run has started; a descriptor that is not so sealed is
        /// refused (`sandbox.sealed_file`).
        case sealedFile(fd: Int32, destination: String)

        /// Where the mount appears inside the sandbox.
        public var destination: String {
            switch self {
            case .readOnly(_, let d), .readWrite(_, let d), .tmpfs(let d, _), .sealedFile(_, let d): d
            }
        }
    }

    /// Network access: `.none` (a namespace with nothing in it) or `.egress` (the namespace's
    /// traffic goes through Warden's proxy and DNS stub under `egress`; docs/NETWORK.md).
    /// `loopback` and `host` are refused.
    public enum NetworkMode: String, Sendable, Equatable {
        case none, egress, loopback, host
    }

    /// An upstream DNS server the stub asks (from the host's namespace).
    public struct Resolver: Sendable, Equatable, CustomStringConvertible {
        public var address: [UInt8]
        public var port: UInt16

        public init(address: [UInt8], port: UInt16 = 53) {
            self.address = address
            self.port = port
        }

        public var description: String {
            address.count == 4 ? "\(IPAddressText.format(address)):\(port)" : "[\(IPAddressText.format(address))]:\(port)"
        }
    }

    /// What an egress run may reach, and through which resolvers names are looked up.
    public struct Egress: Sendable, Equatable {
        public var grant: EgressGrant
        /// Empty: the host's /etc/resolv.conf nameservers.
        public var resolvers: [Resolver]

        public init(grant: EgressGrant, resolvers: [Resolver] = []) {
            self.grant = grant
            self.resolvers = resolvers
        }
    }

    /// What the program reads on standard input.
    public enum StandardInput: Sendable, Equatable {
        case null
        /// The caller's file descriptor (e.g. 0) is handed to the program.
        case inherit(fd: Int32)
    }

    /// Resource limits. `nil` means "no limit" only where noted.
    public struct Limits: Sendable, Equatable {
        /// Wall-clock limit; the whole tree is killed when it passes (exit 124).
        public var wallSeconds: Double
        /// CPU time for the whole tree (cgroup accounting) and per process (RLIMIT_CPU); nil: none.
        public var cpuSeconds: Int?
        /// Memory for the whole tree (cgroup), in MiB.
        public var memoryMB: Int
        /// Processes and threads for the whole tree (cgroup pids, RLIMIT_NPROC).
        public var pids: Int
        /// Bytes forwarded per output stream; the rest is drained and discarded.
        public var outputBytes: Int
        /// RLIMIT_NOFILE.
        public var openFiles: Int
        /// RLIMIT_FSIZE in bytes.
        public var fileSizeBytes: Int
        /// When no cgroup can be created (e.g. rootless without delegation), accept rlimits alone
        /// (RLIMIT_AS per process, RLIMIT_NPROC per sandbox user) instead of refusing to run.
        public var allowRlimitFallback: Bool

        public init(wallSeconds: Double = 60, cpuSeconds: Int? = nil, memoryMB: Int = 512, pids: Int = 128,
                    outputBytes: Int = 1 << 20, openFiles: Int = 256, fileSizeBytes: Int = 256 << 20,
                    allowRlimitFallback: Bool = false) {
            self.allowRlimitFallback = allowRlimitFallback
            self.wallSeconds = wallSeconds
            self.cpuSeconds = cpuSeconds
            self.memoryMB = memoryMB
            self.pids = pids
            self.outputBytes = outputBytes
            self.openFiles = openFiles
            self.fileSizeBytes = fileSizeBytes
        }
    }

    /// Program path inside the sandbox (absolute, or a name searched in PATH).
    public var command: String
    /// Arguments after the program name.
    public var arguments: [String]
    /// Extra mounts, applied after the system defaults (later entries cover earlier ones).
    public var mounts: [Mount]
    /// Mount the read-only system defaults (/usr, /bin, /lib..., minimal /etc, /tmp, /proc, /dev).
    public var systemMounts: Bool
    /// Files or directories (inside the sandbox) whose programs may be executed, in addition to
    /// the command and its ELF interpreter.
    public var allowExec: [String]
    /// Files or directories (inside the sandbox) whose code allowed programs may load but
    /// not execute: plugins and `dlopen`ed libraries outside a program's `DT_NEEDED` closure
    /// (Python's `lib-dynload`). Mounted executable, without Landlock's EXECUTE right.
    public var allowLoad: [String] = []
    /// Paths inside the sandbox to hide (an empty directory or /dev/null is mounted over them).
    public var maskedPaths: [String]
    public var cwd: String
    /// Environment of the program (nothing else is inherited). PATH/HOME/LANG defaults are
    /// added when absent.
    public var environment: [String: String]
    public var limits: Limits
    public var network: NetworkMode
    /// The grant when `network == .egress`.
    public var egress: Egress?
    public var stdin: StandardInput
    public var hostname: String
    /// Size of the private /tmp in MiB.
    public var tmpSizeMB: Int
    /// Give the program a pseudo-terminal (stdin/stdout/stderr, controlling tty, /dev/tty);
    /// its output then arrives as one stream (stdout). Input comes from `stdin` (if inherited).
    public var tty: Bool
    /// Let the program create `AF_UNIX` sockets with `socket(2)` (off by default: a host
    /// daemon's socket in a bound tree would be reachable; `SeccompPolicy.rules`).
    /// `socketpair(2)` is always allowed.
    public var unixSockets: Bool
    /// Let the program make memory it can write executable (`mmap`/`mprotect` with
    /// `PROT_EXEC` on anonymous memory, `memfd_create`): what a JIT (V8, the JVM, LuaJIT)
    /// needs, and what lets any code an allowed program reads run as native code. Off by
    /// default (`SeccompPolicy.rules`); the view's noexec mounts hold either way.
    public var executableMemory: Bool = false
    /// Host paths no sandbox may see: Warden's home (keys, `warden.db` and its WAL, the socket,
    /// artifacts, caches), key files it was pointed at, the run's policy file. Where a bound
    /// tree contains one it is masked (an empty, read-only node over it); a bind of one, or of
    /// anything inside one, is refused (`sandbox.mount_source_protected`). Compared by
    /// filesystem location, not spelling (`HostAliases`).
    public var hiddenHostPaths: [String]
    /// Entries kept read-only at the top of every writable tree, masked when absent so they
    /// cannot be created (`ProtectedNames.defaults`; home-only entries apply to home
    /// directories). Dropping one is explicit (`--unprotect`, `filesystem.unprotect`).
    public var protectedNames: [String]
    /// Sandbox paths inside writable trees that stay read-only where they exist (a policy's
    /// `filesystem.protect` globs and nested `.git` directories, expanded by the caller).
    public var readOnlyPaths: [String]
    /// Let a writable tree be, contain or lie inside a system directory or contain another
    /// user's home (`SystemTrees`); refused otherwise (`sandbox.system_write`).
    public var allowSystemWrites: Bool

    public init(command: String, arguments: [String] = [], mounts: [Mount] = [], systemMounts: Bool = true,
                allowExec: [String] = [], maskedPaths: [String] = [], cwd: String = "/tmp",
                environment: [String: String] = [:], limits: Limits = Limits(), network: NetworkMode = .none,
                stdin: StandardInput = .null, hostname: String = "warden", tmpSizeMB: Int = 64, tty: Bool = false,
                unixSockets: Bool = false, hiddenHostPaths: [String] = [], protectedNames: [String] = ProtectedNames.defaults,
                readOnlyPaths: [String] = [], allowSystemWrites: Bool = false, egress: Egress? = nil) {
        self.egress = egress
        self.hiddenHostPaths = hiddenHostPaths
        self.protectedNames = protectedNames
        self.readOnlyPaths = readOnlyPaths
        self.allowSystemWrites = allowSystemWrites
        self.tty = tty
        self.unixSockets = unixSockets
        self.command = command
        self.arguments = arguments
        self.mounts = mounts
        self.systemMounts = systemMounts
        self.allowExec = allowExec
        self.maskedPaths = maskedPaths
        self.cwd = cwd
        self.environment = environment
        self.limits = limits
        self.network = network
        self.stdin = stdin
        self.hostname = hostname
        self.tmpSizeMB = tmpSizeMB
    }

    /// The environment the program actually receives.
    public var effectiveEnvironment: [String: String] {
        var env = environment
        if env["PATH"] == nil { env["PATH"] = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" }
        if env["HOME"] == nil { env["HOME"] = "/tmp" }
        if env["LANG"] == nil { env["LANG"] = "C.UTF-8" }
        return env
    }
}
