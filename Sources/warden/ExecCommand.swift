import ArgumentParser
import Foundation
import WardenCore
import WardenSandbox

/// `warden exec`: run one program in the kernel-enforced sandbox and pass its status through.
struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a program confined (namespaces, pivot_root, Landlock, seccomp, cgroups, limits).",
        discussion: """
        Exit status: the program's own; 124 timeout; 128+N killed by signal N; 125 usage error; \
        126 denied or the sandbox cannot be set up; 127 program not found.
        """)

    @Option(name: .customLong("ro"), help: "Read-only bind SRC[:DEST] (repeatable).")
    var readOnly: [String] = []
    @Option(name: .customLong("rw"), help: "Writable bind SRC[:DEST] (idmapped when run as root).")
    var readWrite: [String] = []
    @Option(name: .customLong("tmpfs"), help: "Private tmpfs DEST[:SIZE_MB] (default 64).")
    var tmpfs: [String] = []
    @Option(name: .customLong("allow-exec"), help: "File or directory (inside the sandbox) whose programs may run.")
    var allowExec: [String] = []
    @Option(name: .customLong("cwd"), help: "Working directory inside the sandbox (default /tmp).")
    var cwd: String = "/tmp"
    @Option(name: .customLong("env"), help: "Environment variable K=V (repeatable); nothing else is inherited.")
    var env: [String] = []
    @Option(name: .customLong("net"), help: "Network mode: none (the only mode enforced so far).")
    var net: String = "none"
    @Option(name: .customLong("timeout"), help: "Wall-clock limit in seconds (default 60).")
    var timeout: Double = 60
    @Option(name: .customLong("memory"), help: "Memory limit in MiB for the whole tree (default 512).")
    var memory: Int = 512
    @Option(name: .customLong("pids"), help: "Process/thread limit for the whole tree (default 128).")
    var pids: Int = 128
    @Option(name: .customLong("cpu"), help: "CPU-time limit in seconds for the whole tree.")
    var cpu: Int?
    @Option(name: .customLong("output-limit"), help: "Bytes forwarded per output stream (default 1048576).")
    var outputLimit: Int = 1 << 20
    @Option(name: .customLong("nofile"), help: "Open-file limit (default 256).")
    var nofile: Int = 256
    @Flag(name: .customLong("no-stdin"), help: "Give the program /dev/null as stdin instead of Warden's.")
    var noStdin = false
    @Flag(name: .customLong("rlimit-fallback"),
          help: "If no cgroup can be created (rootless without delegation), enforce limits with rlimits only.")
    var rlimitFallback = false
    @Flag(name: .customLong("json"), help: "Print a JSON exit report as the last line of stdout.")
    var json = false
    @Flag(name: .customLong("tty"), help: "Give the program a pseudo-terminal (output becomes one stream).")
    var tty = false
    @Flag(name: .customLong("allow-unix-sockets"),
          help: "Let the program create AF_UNIX sockets (denied by default: a host daemon's socket in a bound tree would be reachable; socketpair always works).")
    var allowUnixSockets = false
    @Flag(name: .customLong("allow-jit"),
          help: "Let the program make writable memory executable (JIT compilers: node, java, luajit); denied by default, so only the allowed files' code runs natively.")
    var allowJIT = false
    @Option(name: .customLong("allow-load"), parsing: .singleValue,
            help: "A file or directory (inside the sandbox) whose code programs may load but not execute: plugins, dlopen'd libraries, e.g. /usr/lib/python3.11/lib-dynload (repeatable).")
    var allowLoad: [String] = []
    @Option(name: .customLong("home"), help: "Warden home to keep out of the sandbox (default: $WARDEN_HOME, else ~/.warden; both are always hidden).")
    var home: String?
    @Option(name: .customLong("unprotect"), help: "Let the program write this protected entry of its writable trees (e.g. .git; repeatable).")
    var unprotect: [String] = []
    @Flag(name: .customLong("allow-system-writes"),
          help: "Allow a writable tree that is, contains or lies inside a system directory, or contains another user's home.")
    var allowSystemWrites = false
    @Option(name: .customLong("egress"),
            help: "Allow egress matching RULE: CIDR[:PORTS][/PROTO] or HOST[:PORTS][/PROTO], e.g. api.github.com:443 (repeatable; docs/NETWORK.md).")
    var egress: [String] = []
    @Option(name: .customLong("resolver"), help: "Upstream DNS server for --egress hostnames, ADDR[:PORT] (repeatable; default: /etc/resolv.conf).")
    var resolver: [String] = []
    @Flag(name: .customLong("egress-audit"), help: "Log what the --egress rules would refuse and refuse nothing (learning an allowlist; never for production).")
    var egressAudit = false
    @Argument(parsing: .postTerminator, help: "-- CMD [ARGS...]")
    var command: [String] = []

    func run() throws {
        try options.execute()
    }

    /// The parsed flags as a plain value (shared with the fast path).
    var options: ExecOptions {
        ExecOptions(readOnly: readOnly, readWrite: readWrite, tmpfs: tmpfs, allowExec: allowExec, allowLoad: allowLoad, cwd: cwd, env: env,
                    net: net, timeout: timeout, memory: memory, pids: pids, cpu: cpu, outputLimit: outputLimit,
                    nofile: nofile, noStdin: noStdin, rlimitFallback: rlimitFallback, json: json, tty: tty,
                    unixSockets: allowUnixSockets, allowJIT: allowJIT, home: home, unprotect: unprotect, allowSystemWrites: allowSystemWrites,
                    egress: egress, resolvers: resolver, egressAudit: egressAudit, command: command)
    }
}

/// `warden exec`'s settings, however they were parsed.
struct ExecOptions: Equatable {
    var readOnly: [String] = []
    var readWrite: [String] = []
    var tmpfs: [String] = []
    var allowExec: [String] = []
    var allowLoad: [String] = []
    var cwd = "/tmp"
    var env: [String] = []
    var net = "none"
    var timeout: Double = 60
    var memory = 512
    var pids = 128
    var cpu: Int?
    var outputLimit = 1 << 20
    var nofile = 256
    var noStdin = false
    var rlimitFallback = false
    var json = false
    var tty = false
    var unixSockets = false
    var allowJIT = false
    var home: String?
    var unprotect: [String] = []
    var allowSystemWrites = false
    var egress: [String] = []
    var resolvers: [String] = []
    var egressAudit = false
    var command: [String] = []

    /// Runs the program confined and exits with its status (never returns normally).
    func execute() throws {
        let spec = try buildSpec()
        signal(SIGPIPE, SIG_IGN)
        let output = TrackingOutput()
        // With --tty on a terminal, ours goes raw so keys reach the program's pty unchanged.
        var saved = termios()
        let raw = tty && !noStdin && isatty(0) == 1 && tcgetattr(0, &saved) == 0
        if raw {
            var t = saved
            cfmakeraw(&t)
            tcsetattr(0, TCSANOW, &t)
        }
        defer { if raw { tcsetattr(0, TCSANOW, &saved) } }
        let report = try Sandbox.run(spec, output: output, forwardSignals: true)
        if json {
            if output.lastStdoutByte != nil && output.lastStdoutByte != 0x0a { print("") }
            Terminal.json(report.jsonValue)
        }
        fflush(nil)
        Foundation.exit(report.status)
    }

    func buildSpec() throws(WardenError) -> SandboxSpec {
        guard let program = command.first else {
            throw .usage("exec.no_command", "give the program after '--': warden exec [options] -- CMD [ARGS...]")
        }
        guard var mode = SandboxSpec.NetworkMode(rawValue: net), mode != .egress else {
            throw .usage("exec.net_invalid", "--net '\(net)': unknown network mode (supported: none; grant egress with --egress RULE)")
        }
        let egressSpec = try ExecEgress.spec(rules: egress, resolvers: resolvers, audit: egressAudit)
        if egressSpec != nil {
            guard mode == .none else { throw .usage("exec.net_invalid", "--egress cannot be combined with --net \(net)") }
            mode = .egress
        }
        var mounts: [SandboxSpec.Mount] = []
        for item in readOnly {
            let (s, d) = Self.split(item)
            mounts.append(.readOnly(source: s, destination: d ?? s))
        }
        for item in readWrite {
            let (s, d) = Self.split(item)
            mounts.append(.readWrite(source: s, destination: d ?? s))
        }
        for item in tmpfs {
            let (d, size) = Self.split(item)
            guard let mb = Int(size ?? "64") else {
                throw .usage("exec.tmpfs_size", "--tmpfs \(item): size must be an integer number of MiB")
            }
            mounts.append(.tmpfs(destination: d, sizeMB: mb))
        }
        var environment: [String: String] = [:]
        for item in env {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw .usage("exec.env_invalid", "--env '\(item)': expected K=V")
            }
            environment[String(item[..<eq])] = String(item[item.index(after: eq)...])
        }
        let limits = SandboxSpec.Limits(wallSeconds: timeout, cpuSeconds: cpu, memoryMB: memory, pids: pids,
                                        outputBytes: outputLimit, openFiles: nofile, allowRlimitFallback: rlimitFallback)
        for name in unprotect where !ProtectedNames.isDefault(name) {
            throw .usage("exec.unprotect_unknown", "--unprotect '\(name)' is not a protected entry; name one of: \(ProtectedNames.defaults.joined(separator: " "))")
        }
        let homes = ExecProtection.homes(explicit: home)
        // A system tree is refused by the sandbox unless allowed: never walk it for nested repositories first.
        let refusedTrees = allowSystemWrites ? [] : Set(HostPlaces.systemWrites(readWrite.map { Self.split($0).0 }).map(\.tree))
        let writableTrees = mounts.compactMap { m -> (String, String)? in
            if case .readWrite(let s, let d) = m, !refusedTrees.contains(s) { return (s, d) } else { return nil }
        }
        var spec = SandboxSpec(command: program, arguments: Array(command.dropFirst()), mounts: mounts,
                           allowExec: allowExec, cwd: cwd, environment: environment, limits: limits, network: mode,
                           stdin: noStdin ? .null : .inherit(fd: 0), tty: tty, unixSockets: unixSockets,
                           hiddenHostPaths: homes, protectedNames: ProtectedNames.defaults.filter { !unprotect.contains($0) },
                           readOnlyPaths: try ExecProtection.nestedProtected(writable: writableTrees, unprotectGit: unprotect.contains(".git"),
                                                                             cacheHome: homes.first),
                           allowSystemWrites: allowSystemWrites, egress: egressSpec)
        spec.executableMemory = allowJIT
        spec.allowLoad = allowLoad
        return spec
    }

    static func split(_ item: String) -> (String, String?) {
        guard let colon = item.firstIndex(of: ":") else { return (item, nil) }
        return (String(item[..<colon]), String(item[item.index(after: colon)...]))
    }
}

/// Streams to Warden's stdout/stderr and remembers the last stdout byte (to end the line
/// before the JSON report).
final class TrackingOutput: SandboxOutput {
    private let inner = FileDescriptorOutput()
    private(set) var lastStdoutByte: UInt8?

    func write(stream: SandboxStream, bytes: UnsafeRawBufferPointer) {
        if stream == .stdout, let last = bytes.last { lastStdoutByte = last }
        inner.write(stream: stream, bytes: bytes)
    }
}
