#if canImport(Glibc)
import Glibc
#endif
import CWardenSpawn
import WardenCore

/// Everything `wsp_spawn` needs, already decided by the pure planners.
struct SpawnRequest {
    /// Existing host directory the child covers with its scratch tmpfs (see `wsp_config.base`).
    var base: String
    var ops: [MountOp]
    /// Bytes the ops copy onto the root tmpfs (`MountPlan.copiedBytes`).
    var copiedBytes: Int
    var idmappedFDs: [String: Int32]      // destination → detached idmapped tree
    var treeFDs: [Int: Int32]             // op index → detached bind tree prepared by the parent
    var hostname: String
    var landlock: LandlockPlan
    var bpf: [UInt8]
    var bpfCount: Int
    /// rlimits under a cgroup, and without one (`--rlimit-fallback`): the cgroups are created
    /// while the child assembles its root, and the handoff tells it which set applies.
    var rlimits: [RlimitPlan.Entry]
    var rlimitsFallback: [RlimitPlan.Entry]
    var execPath: String
    var argv: [String]
    var envp: [String]
    var cwd: String
    var rootless: Bool
    var insideID: Int32
    var uidMap: String
    var gidMap: String
    var stdinFD: Int32, stdoutFD: Int32, stderrFD: Int32
    var controllingTTY: Bool
    var cloneFlags: UInt64
    /// A cgroup v2 directory the sandbox's init is created in (the egress socket filter's); -1: none.
    var intoCgroupFD: Int32 = -1
}

/// A running sandbox: init's pid, its pidfd, the pipe carrying the program's wait status, and
/// the pipe carrying a setup failure (read once init has exited).
struct SpawnedSandbox {
    let pid: pid_t
    let pidfd: Int32
    let statusFD: Int32
    let lifelineFD: Int32
    let errorFD: Int32

    /// Closes every descriptor of the run (after init was reaped).
    func close() {
        for fd in [pidfd, statusFD, lifelineFD, errorFD] { _ = Glibc.close(fd) }
    }
}

/// Owns C copies of strings for the duration of one spawn.
private final class CArena {
    private var pointers: [UnsafeMutablePointer<CChar>] = []
    func str(_ s: String) -> UnsafePointer<CChar> {
        let p = strdup(s)!
        pointers.append(p)
        return UnsafePointer(p)
    }
    func bytes(_ b: [UInt8]) -> UnsafePointer<CChar> {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: max(b.count, 1))
        for (i, v) in b.enumerated() { p[i] = CChar(bitPattern: v) }
        pointers.append(p)
        return UnsafePointer(p)
    }
    func list(_ items: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
        let arr = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: items.count + 1)
        for (i, s) in items.enumerated() { arr[i] = UnsafeMutablePointer(mutating: str(s)) }
        arr[items.count] = nil
        return arr
    }
    deinit { for p in pointers { free(p) } }
}

enum Spawner {
    /// Clones the sandbox and releases it to assemble its root; `handoff` (or `abort`) must follow.
    static func start(_ r: SpawnRequest) throws(WardenError) -> wsp_result {
        let arena = CArena()
        var ops: [wsp_op] = []
        func op(_ kind: Int32, src: String? = nil, srcBytes: [UInt8]? = nil, dst: String, data: String? = nil,
                mode: Int = 0, ro: Bool = false, nodev: Bool = true, fd: Int32 = -1) {
            var o = wsp_op()
            o.kind = kind
            if let b = srcBytes { o.src = arena.bytes(b); o.src_len = b.count }
            else if let s = src { o.src = arena.str(s); o.src_len = s.utf8.count }
            o.dst = arena.str(WSP_NEWROOT + (dst == "/" ? "" : dst))
            o.data = data.map { arena.str($0) }
            o.mode = Int32(mode)
            o.readonly = ro ? 1 : 0
            o.nodev = nodev ? 1 : 0
            o.fd = fd
            ops.append(o)
        }
        for (index, m) in r.ops.enumerated() {
            if let fd = r.treeFDs[index], case .bind(_, let d, _, _) = m {
                op(Int32(WSP_OP_MOVE_FD.rawValue), dst: d, fd: fd)
                continue
            }
            switch m {
            case .dir(let p, let mode): op(Int32(WSP_OP_DIR.rawValue), dst: p, mode: mode)
            case .file(let p): op(Int32(WSP_OP_FILE.rawValue), dst: p)
            case .bind(let s, let d, let ro, let dev):
                op(Int32(WSP_OP_BIND.rawValue), src: hostSource(s), dst: d, ro: ro, nodev: !dev)
            case .bindWritable(let s, let d):
                if let fd = r.idmappedFDs[d] {
                    op(Int32(WSP_OP_MOVE_FD.rawValue), dst: d, fd: fd)
                } else {
                    op(Int32(WSP_OP_BIND.rawValue), src: hostSource(s), dst: d, ro: false)
                }
            case .tmpfs(let p, let options): op(Int32(WSP_OP_TMPFS.rawValue), dst: p, data: options)
            case .proc(let p): op(Int32(WSP_OP_PROC.rawValue), dst: p)
            case .write(let p, let content, let mode):
                op(Int32(WSP_OP_WRITE.rawValue), srcBytes: content, dst: p, mode: mode)
            case .symlink(let target, let at): op(Int32(WSP_OP_SYMLINK.rawValue), src: target, dst: at)
            case .readOnly(let p): op(Int32(WSP_OP_READONLY.rawValue), dst: p)
            case .rebindReadOnly(let p):
                // The source is the sandbox's own view of the path (under the new root), so the
                // writable tree's id mapping carries over; opened refusing symlinks like any bind.
                op(Int32(WSP_OP_BIND.rawValue), src: WSP_NEWROOT + p, dst: p, ro: true)
            case .copy(let fd, let p, let size, let mode):
                op(Int32(WSP_OP_COPY_FD.rawValue), dst: p, mode: mode, fd: fd)
                ops[ops.count - 1].src_len = size
            case .mask(let p, let directory):
                // One C op per MountOp (a failure names its op by index): a masking tmpfs is
                // made read-only by the child itself.
                if directory {
                    op(Int32(WSP_OP_TMPFS.rawValue), dst: p, data: "mode=0000,size=4k")
                } else {
                    op(Int32(WSP_OP_BIND.rawValue), src: hostSource("/dev/null"), dst: p, ro: true, nodev: true)
                }
                ops[ops.count - 1].mask = 1
            case .noexec(let p): op(Int32(WSP_OP_NOEXEC.rawValue), dst: p)
            case .executable(let p): op(Int32(WSP_OP_EXEC_BIND.rawValue), dst: p)
            }
        }
        let rules = r.landlock.rules.map { wsp_ll_rule(path: arena.str($0.path), access: $0.access) }
        let connectPorts = r.landlock.connectPorts
        let limits = r.rlimits.map { wsp_rlimit(resource: $0.resource, soft: $0.soft, hard: $0.hard) }
        let fallback = r.rlimitsFallback.map { wsp_rlimit(resource: $0.resource, soft: $0.soft, hard: $0.hard) }
        let argv = arena.list(r.argv)
        let envp = arena.list(r.envp)
        defer { argv.deallocate(); envp.deallocate() }

        var result = wsp_result()
        let rc: Int32 = connectPorts.withUnsafeBufferPointer { portsBuf in ops.withUnsafeBufferPointer { opsBuf in
            rules.withUnsafeBufferPointer { rulesBuf in
                limits.withUnsafeBufferPointer { limBuf in
                    r.bpf.withUnsafeBytes { bpfBuf in
                        fallback.withUnsafeBufferPointer { fallbackBuf in
                            var c = wsp_config()
                            c.base = arena.str(r.base)
                            // 4 MiB for directories, mountpoints and /etc files, plus the copied files.
                            c.root_options = arena.str("mode=0755,size=\(4096 + (r.copiedBytes + 1023) / 1024)k")
                            c.ops = opsBuf.baseAddress
                            c.nops = Int32(opsBuf.count)
                            c.hostname = arena.str(r.hostname)
                            c.memfd_noexec_path = r.rootless ? nil : arena.str("/proc/sys/vm/memfd_noexec")
                            c.landlock_abi = Int32(r.landlock.abi)
                            c.ll_handled_fs = r.landlock.handledFS
                            c.ll_handled_net = r.landlock.handledNet
                            c.ll_scoped = r.landlock.scoped
                            c.ll_rules = rulesBuf.baseAddress
                            c.nll_rules = Int32(rulesBuf.count)
                            c.ll_connect_ports = portsBuf.baseAddress
                            c.nll_connect_ports = Int32(portsBuf.count)
                            c.bpf = bpfBuf.baseAddress
                            c.bpf_count = Int32(r.bpfCount)
                            c.rlimits = limBuf.baseAddress
                            c.nrlimits = Int32(limBuf.count)
                            c.rlimits_fallback = fallbackBuf.baseAddress
                            c.nrlimits_fallback = Int32(fallbackBuf.count)
                            c.exec_path = arena.str(r.execPath)
                            c.argv = UnsafePointer(argv)
                            c.envp = UnsafePointer(envp)
                            c.cwd = arena.str(r.cwd)
                            c.rootless = r.rootless ? 1 : 0
                            c.inside_uid = r.insideID
                            c.inside_gid = r.insideID
                            c.uid_map = arena.str(r.uidMap)
                            c.gid_map = arena.str(r.gidMap)
                            c.cap_last_cap = Int32(capLastCap())
                            c.stdin_fd = r.stdinFD
                            c.stdout_fd = r.stdoutFD
                            c.stderr_fd = r.stderrFD
                            c.controlling_tty = r.controllingTTY ? 1 : 0
                            c.clone_flags = r.cloneFlags
                            c.into_cgroup_fd = r.intoCgroupFD
                            return wsp_spawn_start(&c, &result)
                        }
                    }
                }
            }
        } }
        guard rc == 0 else { throw SpawnFailure.error(result, request: r) }
        return result
    }

    /// Hands the per-run cgroups (or none) to the started child, which then starts the program
    /// on its own: the caller supervises from here and checks `failure` once init has exited.
    static func handoff(_ started: wsp_result, cgroups: CgroupSet?, request: SpawnRequest) throws(WardenError) -> SpawnedSandbox {
        var result = started
        let fds = cgroups?.memberFDs ?? []
        let mode = cgroups == nil ? WSP_HANDOFF_NONE : (cgroups!.childJoinsItself ? WSP_HANDOFF_JOIN : WSP_HANDOFF_PROCS)
        let rc = fds.withUnsafeBufferPointer { wsp_spawn_handoff(&result, Int32(mode.rawValue), $0.baseAddress, Int32($0.count)) }
        guard rc == 0 else { throw SpawnFailure.error(result, request: request) }
        return SpawnedSandbox(pid: result.pid, pidfd: result.pidfd, statusFD: result.status_fd,
                              lifelineFD: result.lifeline_fd, errorFD: result.err_fd)
    }

    /// Kills and reaps a started child that will not be handed off.
    static func abort(_ started: wsp_result) {
        var result = started
        wsp_spawn_abort(&result)
    }

    /// After init has exited: the setup (or execve) failure the child reported, if any.
    static func failure(of sandbox: SpawnedSandbox, request: SpawnRequest) -> WardenError? {
        var result = wsp_result()
        result.err_fd = sandbox.errorFD
        result.err_index = -1
        guard wsp_spawn_failure(&result) != 0 else { return nil }
        return SpawnFailure.error(result, request: request)
    }

    /// A bind source as the child reaches it: the host root is at `WSP_OLDROOT` there. The
    /// planner resolved the path once (`KernelMountGuard.source`; an absolute symlink would
    /// resolve against the child's scratch root), and the child refuses any symlink in it.
    static func hostSource(_ path: String) -> String {
        WSP_OLDROOT + (path == "/" ? "" : path)
    }

    /// The highest capability number of the running kernel (constant while it runs).
    static let lastCap: Int = Int((readSmallFile("/proc/sys/kernel/cap_last_cap") ?? "").trimmingNewline) ?? 63
    static func capLastCap() -> Int { lastCap }
}

/// Turns (stage, errno, index) from the child into a one-line error.
enum SpawnFailure {
    static let stageNames: [Int32: String] = [
        1: "clone into new namespaces", 2: "write uid/gid maps", 3: "join cgroup", 4: "release child",
        5: "drop supplementary groups", 6: "create cgroup namespace", 7: "make mounts private",
        8: "mount root tmpfs", 9: "mount", 10: "set hostname", 11: "pivot_root", 12: "make root read-only",
        13: "create Landlock ruleset", 14: "add Landlock rule", 15: "set securebits", 16: "drop bounding capabilities",
        17: "clear ambient capabilities", 18: "setresgid", 19: "setresuid", 20: "clear capabilities",
        21: "set no_new_privs", 22: "enforce Landlock", 23: "set rlimit", 24: "install seccomp filter",
        25: "fork program", 26: "set up stdio", 27: "chdir", 28: "exec", 29: "set dumpable", 30: "set parent-death signal",
        31: "set vm.memfd_noexec=2",
    ]

    static func error(_ r: wsp_result, request: SpawnRequest) -> WardenError {
        let stage = stageNames[r.err_stage] ?? "stage \(r.err_stage)"
        let reason = String(cString: strerror(r.err_errno))
        var detail = ""
        let index = Int(r.err_index)
        if r.err_stage == 9, index >= 0, index < request.ops.count { detail = " (\(describe(request.ops[index])))" }
        if r.err_stage == 14, index >= 0, index < request.landlock.rules.count {
            detail = " (\(request.landlock.rules[index].path))"
        }
        if r.err_stage == 28 {
            let code = r.err_errno == ENOENT ? WardenError.Category.notFound : .denied
            return WardenError(code, "sandbox.exec_failed", "cannot execute '\(request.execPath)' in the sandbox: \(reason)")
        }
        if r.err_stage == 27 {
            return .usage("sandbox.cwd_invalid", "cannot enter working directory '\(request.cwd)' in the sandbox: \(reason)")
        }
        return .denied("sandbox.setup_failed", "sandbox setup failed at '\(stage)'\(detail): \(reason)")
    }

    static func describe(_ op: MountOp) -> String {
        switch op {
        case .dir(let p, _): "mkdir \(p)"
        case .file(let p): "create \(p)"
        case .bind(let s, let d, let ro, _): "bind \(s) -> \(d)\(ro ? " ro" : "")"
        case .bindWritable(let s, let d): "bind rw \(s) -> \(d)"
        case .tmpfs(let p, _): "tmpfs \(p)"
        case .proc(let p): "proc \(p)"
        case .write(let p, _, _): "write \(p)"
        case .symlink(let t, let at): "symlink \(at) -> \(t)"
        case .readOnly(let p): "read-only \(p)"
        case .rebindReadOnly(let p): "keep \(p) read-only"
        case .copy(_, let p, _, _): "copy the sealed file to \(p)"
        case .mask(let p, _): "mask \(p)"
        case .noexec(let p): "make \(p) noexec"
        case .executable(let p): "make \(p) executable"
        }
    }
}
