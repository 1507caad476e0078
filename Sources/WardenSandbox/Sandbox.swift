#if canImport(Glibc)
import Glibc
#endif
import CWardenSpawn
import WardenCore
import WardenNet

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
    /// With `forwardSignals`, SIGTERM/SIGINT/SIGHUP/SIGQUIT sent to this process during the run
    /// are passed to the program (process-wide handlers; for a CLI, not for a server).
    /// With `cancelWhenReadable` (a server's connection to its client), the whole sandbox is
    /// killed as soon as that descriptor becomes readable or hangs up, i.e. when the caller
    /// goes away; the report then lists `cancelled` among `limits_hit`.
    /// `beforeStart` runs once the sandbox is being assembled but before anything of the
    /// program exists (the child waits for it); if it throws, the child is killed, nothing
    /// runs, and its error is thrown. `warden run` commits the run's records there, so the
    /// fsync overlaps the sandbox's setup. Its time does not count against the wall limit.
    public static func run(_ spec: SandboxSpec, output: SandboxOutput?, captureLimit: Int = 0,
                           forwardSignals: Bool = false, cancelWhenReadable: Int32? = nil,
                           beforeStart: () throws(WardenError) -> Void = {}) throws(WardenError) -> ExitReport {
        // A child that dies during setup closes its end of the sync pipe; the write that follows
        // must fail with EPIPE (and be reported), not kill Warden with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        wsp_trace_stamp(Int32(WSP_TP_RUN.rawValue))
        let spec = try SpecValidation.validate(spec)
        let fs = RealHostFileSystem()
        var plan = try MountPlan.build(spec, fs: fs)
        let env = spec.effectiveEnvironment
        let resolver = ExecutableResolver(plan: plan, fs: fs)
        let program = try resolver.locate(spec.command, searchPath: env["PATH"] ?? "")
        let execution = try resolver.executionSet(program: program, allowExec: spec.allowExec, allowLoad: spec.allowLoad)
        plan.confineExecution(to: execution.mapped)
        let abi = Int(wsp_landlock_abi())
        let landlock = try LandlockPlan.build(plan: plan, executables: execution.executables, abi: abi, net: landlockNet(spec))
        let nftPath = spec.network == .egress ? try EgressValidation.nftPath() : nil
        let bpf = SeccompPolicy.compiled(for: spec)
        wsp_trace_stamp(Int32(WSP_TP_PLANNED.rawValue))

        let rootless = geteuid() != 0
        let hostUID = rootless ? UInt32(geteuid()) : rootHostID
        let hostGID = rootless ? UInt32(getegid()) : rootHostID
        let inside = MountPlan.insideID
        var enforcement: [String: String] = [
            "mode": rootless ? "rootless" : "root", "host_uid": String(hostUID),
            "landlock_abi": String(abi), "seccomp": "bpf(\(bpf.instructions.count) insns)",
            // Only global root may set the per-PID-namespace sysctl; see docs/SANDBOX.md.
            "memfd_noexec": rootless ? "not enforced (rootless)" : "2",
            "unix_sockets": spec.unixSockets ? "allowed" : "denied (socketpair only)",
            // Code runs only from these mounts (see MountPlan.confineExecution).
            "exec": "noexec view; executable: \(execution.mapped.count) paths",
            "executable_memory": spec.executableMemory ? "allowed (--allow-jit)" : "denied",
        ]
        if !execution.missing.isEmpty { enforcement["libraries_missing"] = execution.missing.joined(separator: ", ") }

        if !plan.protected.isEmpty { enforcement["protected"] = plan.protected.joined(separator: " ") }
        if !plan.systemWrites.isEmpty { enforcement["system_writes"] = plan.systemWrites.joined(separator: " ") }
        // Absent protected entries need something on the host to mount over, for this run only.
        let placeholders = try PlaceholderLease.acquire(plan.placeholders)
        defer { placeholders.release() }

        let idmapped = rootless ? [:] : try idmappedTrees(plan: plan, fs: fs, hostUID: hostUID, hostGID: hostGID)
        defer { for fd in idmapped.values { close(fd) } }
        let trees = rootless ? [:] : try bindTrees(plan: plan)
        defer { for fd in trees.values { close(fd) } }

        let out = try pipePair(), err = try pipePair()
        var childEnds = [out.write, err.write]
        defer { for fd in [out.read, err.read] + childEnds { close(fd) } }
        var stdinFD: Int32
        switch spec.stdin {
        case .null:
            stdinFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
            guard stdinFD >= 0 else { throw .denied("sandbox.stdin_failed", "cannot open /dev/null: \(errnoText())") }
            childEnds.append(stdinFD)
        case .inherit(let fd): stdinFD = fd
        }
        // --tty: the program's 0/1/2 are a pty slave; Warden reads the master as "stdout" and
        // forwards inherited input to it.
        var pty: (master: Int32, slave: Int32)?
        defer { if let p = pty { close(p.master) } }
        if spec.tty {
            var master: Int32 = -1, slave: Int32 = -1
            let rc = wsp_open_pty(&master, &slave)
            guard rc == 0 else { throw .denied("sandbox.pty_failed", "cannot allocate a pseudo-terminal: \(String(cString: strerror(-rc)))") }
            pty = (master, slave)
            childEnds.append(slave)
            if case .inherit(let fd) = spec.stdin { wsp_copy_winsize(fd, master) }
        }
        let forwardInput: Int32? = if case .inherit(let fd) = spec.stdin, pty != nil { fd } else { nil }
        if let p = pty { stdinFD = p.slave }

        // Root mode's cgroup socket filter exists before the sandbox does: init is created
        // inside it (CLONE_INTO_CGROUP), as moving it in later costs an RCU grace period.
        let runID = "\(getpid())-" + randomID()
        var sockFilter: CgroupSockFilter?
        defer { sockFilter?.destroy() }
        var egress: (SandboxSpec.Egress, String)?
        if var e = spec.egress, let nftPath {
            if e.resolvers.isEmpty { e.resolvers = HostResolvers.system() }
            guard !e.resolvers.isEmpty || e.grant.rules.allSatisfy({ !$0.isHost }) else {
                throw .denied("sandbox.egress_no_resolver", "the grant names hosts but no DNS resolver is configured (/etc/resolv.conf has no nameserver)")
            }
            egress = (e, nftPath)
            if !rootless { sockFilter = try CgroupSockFilter.create(runID: runID, rules: sockFilterRules(e.grant)) }
        }

        var request = SpawnRequest(
            base: "/tmp", ops: plan.ops, copiedBytes: plan.copiedBytes, idmappedFDs: idmapped, treeFDs: trees, hostname: spec.hostname, landlock: landlock,
            bpf: bpf.bytes, bpfCount: bpf.instructions.count,
            rlimits: RlimitPlan.build(spec.limits, cgroupEnforced: true),
            rlimitsFallback: RlimitPlan.build(spec.limits, cgroupEnforced: false), execPath: program.sandboxPath,
            argv: [spec.command] + spec.arguments, envp: env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" },
            cwd: spec.cwd, rootless: rootless, insideID: Int32(inside),
            uidMap: idMap(inside: inside, host: hostUID, rootless: rootless),
            gidMap: idMap(inside: inside, host: hostGID, rootless: rootless),
            stdinFD: stdinFD, stdoutFD: pty?.slave ?? out.write, stderrFD: pty?.slave ?? err.write,
            controllingTTY: pty != nil, cloneFlags: cloneFlags)
        request.intoCgroupFD = sockFilter?.directoryFD ?? -1
        let start = monotonicNanos()
        wsp_trace_stamp(Int32(WSP_TP_PRESPAWN.rawValue))
        let started = try Spawner.start(request)
        // The namespace's egress set-up runs beside the cgroups' creation (see PendingEgress).
        let pendingEgress = egress.map { PendingEgress(pid: started.pid, egress: $0, nftPath: $1, sockFilter: sockFilter) }

        // The per-run cgroups are created while the child assembles its root (it waits for
        // them before anything of the program exists), then handed over.
        var cgroups: CgroupSet?
        switch CgroupSet.create(limits: spec.limits, runID: runID) {
        case .success(let set):
            cgroups = set
            enforcement["limits"] = "cgroup " + set.version.rawValue
        case .failure(let error):
            guard spec.limits.allowRlimitFallback else {
                if case .success(let run)? = pendingEgress?.wait() { _ = run.finish(drift: nil) }
                Spawner.abort(started)
                throw error
            }
            enforcement["limits"] = "rlimit"
        }
        defer { cgroups?.destroy() }
        wsp_trace_stamp(Int32(WSP_TP_CGROUPS.rawValue))
        // Egress: the namespace's rules, the proxy and the stub exist before the program does.
        var egressRun: EgressRun?
        if let pendingEgress, let egress = spec.egress {
            switch pendingEgress.wait() {
            case .success(let run): egressRun = run
            case .failure(let error):
                Spawner.abort(started)
                throw error
            }
            enforcement["socket_filter"] = sockFilter != nil ? "cgroup bpf (connect4/6, sendmsg4/6)"
                : "not available (rootless: nftables, proxy and Landlock enforce)"
            enforcement["network"] = "egress \(egress.grant.auditOnly ? "audit-only" : "enforce"): nftables in the run's namespace, transparent proxy, DNS stub\(egress.grant.rules.contains { $0.proto == .udp } ? ", UDP relay" : "")"
            enforcement["landlock_connect"] = landlock.handledNet & LandlockAccess.netConnectTCP == 0
                ? "any port" : landlock.connectPorts.count <= 8
                ? landlock.connectPorts.map(String.init).joined(separator: ",") : "\(landlock.connectPorts.count) ports"
        }
        let hookStart = monotonicNanos()
        // A run that never starts still stops its proxy, stub and relay threads.
        do throws(WardenError) {
            try beforeStart()
        } catch {
            _ = egressRun?.finish(drift: nil)
            Spawner.abort(started)
            throw error
        }
        let hookNanos = monotonicNanos() - hookStart
        let sandbox: SpawnedSandbox
        do throws(WardenError) {
            sandbox = try Spawner.handoff(started, cgroups: cgroups, request: request)
        } catch {
            _ = egressRun?.finish(drift: nil)
            throw error
        }
        for fd in childEnds { close(fd) }
        childEnds = []
        defer { sandbox.close() }
        let stdoutSource = pty?.master ?? out.read
        for fd in [stdoutSource, err.read] { _ = fcntl(fd, F_SETFL, O_NONBLOCK) }

        if forwardSignals { wsp_forward_signals(sandbox.pidfd) }
        defer { if forwardSignals { wsp_forward_signals(-1) } }
        let supervisor = Supervisor(sandbox: sandbox, stdoutFD: stdoutSource, stderrFD: err.read, limits: spec.limits,
                                    cgroups: cgroups, output: output, captureLimit: captureLimit,
                                    input: forwardInput.map { ($0, stdoutSource) }, cancelFD: cancelWhenReadable ?? -1,
                                    driftFD: egressRun?.pollFD ?? -1, driftCheck: egressRun.map { run in { run.drift() } })
        let o = supervisor.run(startedAt: start + hookNanos)
        let network = egressRun?.finish(drift: o.drift)
        wsp_trace_stamp(Int32(WSP_TP_SUPERVISED.rawValue))
        if let failure = Spawner.failure(of: sandbox, request: request) { throw failure }
        var exitReport = report(o, spec: spec, cgroups: cgroups, enforcement: enforcement)
        exitReport.network = network
        wsp_trace_stamp(Int32(WSP_TP_REPORTED.rawValue))
        return exitReport
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
        if o.cancelled { hit.append("cancelled") }
        if o.drift != nil { hit.append("network_drift") }
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

    /// Landlock's part of the network: nothing without a grant; with one, connect() only to
    /// the grant's TCP ports when they are few enough to list.
    static func landlockNet(_ spec: SandboxSpec) -> LandlockPlan.Net {
        guard spec.network == .egress, let grant = spec.egress?.grant else { return .none }
        guard !grant.auditOnly, let ranges = grant.tcpPorts else { return .anyConnect }
        let count = ranges.reduce(0) { $0 + Int($1.upperBound) - Int($1.lowerBound) + 1 }
        guard count <= LandlockPlan.maxConnectPorts else { return .anyConnect }
        return .connect(Array(Set(ranges.flatMap { Array($0) })).sorted())
    }

    /// The cgroup socket filter's copy of the grant: CIDR rules as blocks, hostname rules'
    /// ports for the addresses the DNS stub pins.
    static func sockFilterRules(_ grant: EgressGrant) -> SockFilterRules {
        var blocks: [SockFilterRules.Block] = []
        var pinnedTCP: [ClosedRange<UInt16>] = [], pinnedUDP: [ClosedRange<UInt16>] = []
        for rule in grant.rules {
            switch rule.target {
            case .cidr(let address, let prefix):
                blocks.append(.init(address: address, prefix: prefix, ports: rule.ports, udp: rule.proto == .udp))
            case .host:
                let all: [ClosedRange<UInt16>] = rule.ports.isEmpty ? [1...65535] : rule.ports
                if rule.proto == .udp { pinnedUDP += all } else { pinnedTCP += all }
            }
        }
        // audit-only refuses nothing: every TCP and UDP destination (the proxy and relay log them).
        if grant.auditOnly {
            blocks = [false, true].flatMap { udp in
                [SockFilterRules.Block(address: [0, 0, 0, 0], prefix: 0, ports: [], udp: udp),
                 SockFilterRules.Block(address: [UInt8](repeating: 0, count: 16), prefix: 0, ports: [], udp: udp)]
            }
        }
        return SockFilterRules(blocks: blocks, pinnedTCPPorts: pinnedTCP, pinnedUDPPorts: pinnedUDP)
    }

    /// As root, a bind source the sandbox's setup uid cannot reach (e.g. a tool under /root) is
    /// cloned here with Warden's own credentials and moved into place by the child. Sources on
    /// world-traversable paths (the system trees) are bound by the child directly: cloning
    /// here would sit on the critical path before clone.
    static func bindTrees(plan: MountPlan) throws(WardenError) -> [Int: Int32] {
        var trees: [Int: Int32] = [:]
        for (index, op) in plan.ops.enumerated() {
            guard case .bind(let src, _, let ro, let dev) = op, !worldTraversable(src) else { continue }
            let fd = wsp_clone_tree(src, 1, ro ? 1 : 0, dev ? 0 : 1)
            guard fd >= 0 else {
                for fd in trees.values { close(fd) }
                throw .denied("sandbox.bind_failed", "cannot bind '\(src)': \(String(cString: strerror(-fd)))")
            }
            trees[index] = fd
        }
        return trees
    }

    /// True when every directory above `path` can be searched by any user.
    static func worldTraversable(_ path: String) -> Bool {
        (["/"] + SandboxPath.ancestors(path)).allSatisfy { dir in
            var st = stat()
            return stat(dir, &st) == 0 && st.st_mode & S_IXOTH != 0
        }
    }

    /// Detached idmapped clones of every `--rw` source (root mode), keyed by destination.
    static func idmappedTrees(plan: MountPlan, fs: HostFileSystem, hostUID: UInt32,
                              hostGID: UInt32) throws(WardenError) -> [String: Int32] {
        var trees: [String: Int32] = [:]
        for case .bindWritable(let src, let dst) in plan.ops {
            guard let owner = fs.owner(of: src) else {
                for fd in trees.values { close(fd) }
                throw .notFound("sandbox.mount_source_missing", "--rw source '\(src)' does not exist")
            }
            let fd = wsp_idmapped_tree(src, owner.uid, owner.gid, hostUID, hostGID, 0)
            guard fd >= 0 else {
                for fd in trees.values { close(fd) }
                throw .denied("sandbox.idmap_unavailable",
                              "--rw \(src): cannot create an idmapped mount (\(String(cString: strerror(-fd)))); refusing to change ownership or run as a privileged uid")
            }
            trees[dst] = fd
        }
        return trees
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
