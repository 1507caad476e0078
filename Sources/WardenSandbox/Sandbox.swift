#if canImport(Glibc)
import Glibc
#endif
import CWardenSpawn
import WardenCore

/// Runs programs inside Warden's kernel-enforced sandbox.
public enum Sandbox {
    /// Host uid/gid the sandbox user maps to when Warden runs as root: owns nothing on the host.
    /// `rootHostID + 1` is the namespace root used only during setup.
    public static let rootHostID: UInt32 = 1_999_900_000

    /// Namespaces every sandbox gets.
    static let cloneFlags: UInt64 = 0x1000_0000 /* NEWUSER */ | 0x0002_0000 /* NEWNS */
        | 0x2000_0000 /* NEWPID */ | 0x0800_0000 /* NEWIPC */ | 0x0400_0000 /* NEWUTS */ | 0x4000_0000 /* NEWNET */
        | 0x0200_0000 /* NEWCGROUP */ | 0x80 /* NEWTIME */

    /// Runs `spec` to completion. Output streams to `output` (capped per stream); up to
    /// `captureLimit` bytes of each stream are also kept in the report. Throws `WardenError`
    /// when the spec is invalid or the confinement cannot be fully set up (nothing runs then).
    public static func run(_ spec: SandboxSpec, output: SandboxOutput?, captureLimit: Int = 0) throws(WardenError) -> ExitReport {
        // A child that dies during setup closes its end of the sync pipe; the write that follows
        // must fail with EPIPE (and be reported), not kill Warden with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        let spec = try SpecValidation.validate(spec)
        let fs = RealHostFileSystem()
        let plan = try MountPlan.build(spec, fs: fs)
        let env = spec.effectiveEnvironment
        let resolver = ExecutableResolver(plan: plan, fs: fs)
        let program = try resolver.locate(spec.command, searchPath: env["PATH"] ?? "")
        var executables = resolver.executionChain(of: program).map(\.sandboxPath)
        for entry in spec.allowExec {
            if let r = resolver.resolve(entry) {
                executables += resolver.executionChain(of: r).map(\.sandboxPath).filter { !executables.contains($0) }
            } else if let host = plan.hostPath(of: entry), fs.kind(of: host) == .directory {
                executables.append(entry)
            } else {
                throw .notFound("sandbox.allow_exec_missing", "--allow-exec '\(entry)' does not exist inside the sandbox")
            }
        }
        let abi = Int(wsp_landlock_abi())
        let landlock = try LandlockPlan.build(plan: plan, executables: executables, abi: abi)
        let bpf = SeccompPolicy.program()

        let rootless = geteuid() != 0
        let hostUID = rootless ? UInt32(geteuid()) : rootHostID
        let hostGID = rootless ? UInt32(getegid()) : rootHostID
        let inside = MountPlan.insideID
        var enforcement: [String: String] = [
            "mode": rootless ? "rootless" : "root", "host_uid": String(hostUID),
            "landlock_abi": String(abi), "seccomp": "bpf(\(bpf.count) insns)",
            // Only global root may set the per-PID-namespace sysctl; see docs/SANDBOX.md.
            "memfd_noexec": rootless ? "not enforced (rootless)" : "2",
        ]

        let runID = "\(getpid())-" + randomID()
        var cgroups: CgroupSet?
        switch CgroupSet.create(limits: spec.limits, runID: runID) {
        case .success(let set):
            cgroups = set
            enforcement["limits"] = "cgroup " + set.version.rawValue
        case .failure(let error):
            guard spec.limits.allowRlimitFallback else { throw error }
            enforcement["limits"] = "rlimit"
        }
        defer { cgroups?.destroy() }

        var idmapped: [String: Int32] = [:]
        defer { for fd in idmapped.values { close(fd) } }
        if !rootless {
            for case .bindWritable(let src, let dst) in plan.ops {
                guard let owner = fs.owner(of: src) else {
                    throw .notFound("sandbox.mount_source_missing", "--rw source '\(src)' does not exist")
                }
                let fd = wsp_idmapped_tree(src, owner.uid, owner.gid, hostUID, hostGID, 0)
                guard fd >= 0 else {
                    throw .denied("sandbox.idmap_unavailable",
                                  "--rw \(src): cannot create an idmapped mount (\(String(cString: strerror(-fd)))); refusing to change ownership or run as a privileged uid")
                }
                idmapped[dst] = fd
            }
        }

        var template = Array("/tmp/warden-root-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw .denied("sandbox.staging_failed", "cannot create staging directory: \(errnoText())")
        }
        let staging = String(cString: made)
        // Only needed until the child has pivoted; removed right after spawn (or on failure).
        var stagingRemoved = false
        defer { if !stagingRemoved { rmdir(staging) } }

        let out = try pipePair(), err = try pipePair()
        var childEnds = [out.write, err.write]
        defer { for fd in [out.read, err.read] + childEnds { close(fd) } }
        let stdinFD: Int32
        switch spec.stdin {
        case .null:
            stdinFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
            childEnds.append(stdinFD)
        case .inherit(let fd): stdinFD = fd
        }

        let memoryBytes = UInt64(spec.limits.memoryMB) << 20
        var rlimits: [(resource: Int32, soft: UInt64, hard: UInt64)] = [
            (7, UInt64(spec.limits.openFiles), UInt64(spec.limits.openFiles)),
            (1, UInt64(spec.limits.fileSizeBytes), UInt64(spec.limits.fileSizeBytes)),
            (4, 0, 0),
            // Address space: the primary memory limit without a cgroup, generous backstop with one.
            (9, cgroups == nil ? memoryBytes : memoryBytes * 4, cgroups == nil ? memoryBytes : memoryBytes * 4),
            // Counted per user in the sandbox's own user namespace: a per-sandbox process limit.
            (6, UInt64(spec.limits.pids), UInt64(spec.limits.pids)),
        ]
        if let cpu = spec.limits.cpuSeconds { rlimits.append((0, UInt64(cpu), UInt64(cpu) + 1)) }

        let request = SpawnRequest(
            staging: staging, ops: plan.ops, idmappedFDs: idmapped, hostname: spec.hostname, landlock: landlock,
            bpf: SeccompCompiler.bytes(bpf), bpfCount: bpf.count, rlimits: rlimits, execPath: program.sandboxPath,
            argv: [spec.command] + spec.arguments, envp: env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" },
            cwd: spec.cwd, rootless: rootless, insideID: Int32(inside),
            uidMap: idMap(inside: inside, host: hostUID, rootless: rootless),
            gidMap: idMap(inside: inside, host: hostGID, rootless: rootless),
            stdinFD: stdinFD, stdoutFD: out.write, stderrFD: err.write, cgroupFDs: cgroups?.procsFDs ?? [],
            cloneFlags: cloneFlags)
        let start = monotonicNanos()
        let sandbox = try Spawner.spawn(request)
        rmdir(staging)
        stagingRemoved = true
        for fd in childEnds { close(fd) }
        childEnds = []
        defer { close(sandbox.pidfd); close(sandbox.statusFD); close(sandbox.lifelineFD) }
        _ = fcntl(out.read, F_SETFL, O_NONBLOCK)
        _ = fcntl(err.read, F_SETFL, O_NONBLOCK)

        let supervisor = Supervisor(sandbox: sandbox, stdoutFD: out.read, stderrFD: err.read, limits: spec.limits,
                                    cgroups: cgroups, output: output, captureLimit: captureLimit)
        let o = supervisor.run(startedAt: start)
        return report(o, spec: spec, cgroups: cgroups, enforcement: enforcement)
    }

    static func report(_ o: Supervisor.Outcome, spec: SandboxSpec, cgroups: CgroupSet?,
                       enforcement: [String: String]) -> ExitReport {
        var exitCode: Int32?
        var signal: Int32?
        if let st = o.rawStatus {
            if st & 0x7f == 0 { exitCode = (st >> 8) & 0xff } else { signal = st & 0x7f }
        } else {
            signal = SIGKILL   // init itself was killed (timeout, CPU limit, or OOM)
        }
        let cpuMillis = Int64(o.rusage.ru_utime.tv_sec + o.rusage.ru_stime.tv_sec) * 1000
            + Int64(o.rusage.ru_utime.tv_usec + o.rusage.ru_stime.tv_usec) / 1000
        var hit: [String] = []
        if o.timedOut { hit.append("timeout") }
        if cgroups?.memoryLimitHit() == true { hit.append("memory") }
        if cgroups?.pidsLimitHit() == true { hit.append("pids") }
        if o.cpuExceeded || signal == SIGXCPU { hit.append("cpu") }
        if o.truncated[0] { hit.append("stdout") }
        if o.truncated[1] { hit.append("stderr") }
        let status: Int32 = o.timedOut ? WardenExit.timeout : (exitCode ?? WardenExit.signaled(signal ?? SIGKILL))
        return ExitReport(
            status: status, exitCode: o.timedOut ? nil : exitCode, signal: o.timedOut ? nil : signal,
            timedOut: o.timedOut, limitsHit: hit, wallMillis: Int64(o.wallNanos / 1_000_000), cpuMillis: cpuMillis,
            maxRSSKiB: Int64(o.rusage.ru_maxrss), stdoutBytes: o.bytes[0], stderrBytes: o.bytes[1],
            stdoutTruncated: o.truncated[0], stderrTruncated: o.truncated[1],
            capturedStdout: o.captured[0], capturedStderr: o.captured[1], enforcement: enforcement)
    }

    /// Rootless: only the caller's id can be mapped. Root: the program's id maps to `host`, and the
    /// namespace root (used only while assembling the root filesystem) to `host + 1`.
    static func idMap(inside: Int, host: UInt32, rootless: Bool) -> String {
        rootless ? "\(inside) \(host) 1\n" : "0 \(host + 1) 1\n\(inside) \(host) 1\n"
    }

    static func pipePair() throws(WardenError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard wsp_pipe_cloexec(&fds) == 0 else {
            throw .denied("sandbox.pipe_failed", "cannot create output pipe: \(errnoText())")
        }
        return (fds[0], fds[1])
    }

    static func randomID() -> String {
        var bytes = [UInt8](repeating: 0, count: 8)
        _ = wsp_random(&bytes, 8)
        return bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}
