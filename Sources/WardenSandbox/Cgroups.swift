#if canImport(Glibc)
import Glibc
#endif
import WardenCore
import CWardenSpawn
import Synchronization

/// Per-run cgroups enforcing memory, pids and (by accounting) CPU for the whole process tree.
/// Prefers v2 when our unified cgroup can enable memory+pids, else v1 controllers; whichever
/// is chosen is tried for real (mkdir + write limits) before use.
final class CgroupSet {
    enum Version: String { case v1, v2 }

    let version: Version
    private(set) var dirs: [String]
    /// Open membership files, one per hierarchy: v1 `tasks` (the child writes "0" to join
    /// itself), v2 `cgroup.procs` (Warden writes the child's pid).
    private(set) var memberFDs: [Int32] = []
    /// v1: the child joins by itself. Moving the *calling thread* through `tasks` skips the
    /// kernel's global threadgroup rwsem, whose write side waits for a full RCU grace period
    /// (4–14 ms here) when another process is moved through `cgroup.procs`.
    var childJoinsItself: Bool { version == .v1 }
    private let memoryDir: String
    private let pidsDir: String
    private let cpuDir: String?

    private init(version: Version, dirs: [String], memoryDir: String, pidsDir: String, cpuDir: String?) {
        self.version = version
        self.dirs = dirs
        self.memoryDir = memoryDir
        self.pidsDir = pidsDir
        self.cpuDir = cpuDir
    }

    /// Where the hierarchies are mounted changes only when an administrator remounts one: it is
    /// parsed from /proc/self/mounts once per process, and again whenever creating a cgroup with
    /// the remembered places fails. Warden's own cgroup (/proc/self/cgroup) is read every run.
    private static let knownMounts = Mutex<CgroupLayout.Mounts?>(nil)
    /// When this process last swept stale per-run cgroups (monotonic ns; 0 = never).
    private static let lastSweep = Mutex<UInt64>(0)
    static let sweepInterval: UInt64 = 10_000_000_000

    /// Creates the cgroups for one run, or explains why none can be used.
    static func create(limits: SandboxSpec.Limits, runID: String) -> Result<CgroupSet, WardenError> {
        if let mounts = knownMounts.withLock({ $0 }),
           case .success(let set) = create(limits: limits, runID: runID, mounts: mounts) {
            return .success(set)
        }
        let mounts = CgroupLayout.parseMounts(readSmallFile("/proc/self/mounts") ?? "")
        knownMounts.withLock { $0 = mounts }
        return create(limits: limits, runID: runID, mounts: mounts)
    }

    private static func create(limits: SandboxSpec.Limits, runID: String,
                               mounts: CgroupLayout.Mounts) -> Result<CgroupSet, WardenError> {
        let layout = CgroupLayout.parse(procSelfCgroup: readSmallFile("/proc/self/cgroup") ?? "", mounts: mounts)
        var reasons: [String] = []
        wsp_trace_stamp(Int32(WSP_TP_CG_LAYOUT.rawValue))
        // Per-run cgroups of a killed Warden are empty (its tree died with it): remove them.
        // Only the hierarchies Warden creates them in are swept (each sweep reads a directory),
        // at the first run of a process and then at most every `sweepInterval`.
        let now = monotonicNanos()
        let sweep = lastSweep.withLock { last in
            guard last == 0 || now &- last >= sweepInterval else { return false }
            last = now
            return true
        }
        if sweep {
            let used = [layout.v2, layout.v1["memory"], layout.v1["pids"], layout.v1["cpuacct"]].compactMap { $0 }
            for base in Set(used) { StaleRuns.collect(in: base, prefix: "warden-") }
        }
        wsp_trace_stamp(Int32(WSP_TP_CG_SWEPT.rawValue))
        if let base = layout.v2 {
            switch tryV2(base: base, limits: limits, runID: runID) {
            case .success(let set): return .success(set)
            case .failure(let why): reasons.append("v2: \(why.reason)")
            }
        }
        if let mem = layout.v1["memory"], let pids = layout.v1["pids"] {
            // cpuacct is read only to enforce the tree-wide CPU limit: no --cpu, no cpuacct cgroup
            // (one mkdir, rmdir and join fewer per run).
            let cpuacct = limits.cpuSeconds == nil ? nil : layout.v1["cpuacct"]
            switch tryV1(memory: mem, pids: pids, cpuacct: cpuacct, limits: limits, runID: runID) {
            case .success(let set): return .success(set)
            case .failure(let why): reasons.append("v1: \(why.reason)")
            }
        } else {
            reasons.append("v1: memory or pids controller not mounted")
        }
        return .failure(.denied("sandbox.cgroup_unavailable",
                                "no usable cgroup for memory/pids limits (\(reasons.joined(separator: "; ")))"))
    }

    private static func tryV2(base: String, limits: SandboxSpec.Limits, runID: String) -> Result<CgroupSet, CgroupFailure> {
        let available = (readSmallFile(base + "/cgroup.controllers") ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard available.contains("memory"), available.contains("pids") else {
            return .failure(CgroupFailure("memory/pids controllers not available in \(base)"))
        }
        // Controllers must be enabled for children; harmless if already on.
        _ = writeSmallFile(base + "/cgroup.subtree_control", "+memory +pids +cpu")
        let dir = base + "/warden-" + runID
        guard mkdir(dir, 0o755) == 0 else { return .failure(CgroupFailure("mkdir \(dir): \(errnoText())")) }
        let set = CgroupSet(version: .v2, dirs: [dir], memoryDir: dir, pidsDir: dir, cpuDir: dir)
        let mem = String(limits.memoryMB << 20)
        guard writeSmallFile(dir + "/memory.max", mem), writeSmallFile(dir + "/pids.max", String(limits.pids)) else {
            let why = "writing limits in \(dir): \(errnoText())"
            set.destroy()
            return .failure(CgroupFailure(why))
        }
        _ = writeSmallFile(dir + "/memory.swap.max", "0")
        guard set.openMembership("cgroup.procs") else {
            let why = "open cgroup.procs: \(errnoText())"; set.destroy(); return .failure(CgroupFailure(why))
        }
        return .success(set)
    }

    private static func tryV1(memory: String, pids: String, cpuacct: String?, limits: SandboxSpec.Limits,
                              runID: String) -> Result<CgroupSet, CgroupFailure> {
        let name = "/warden-" + runID
        var dirs: [String] = []
        for base in [memory, pids] + (cpuacct.map { [$0] } ?? []) where !dirs.contains(base + name) {
            guard mkdir(base + name, 0o755) == 0 else {
                let why = "mkdir \(base + name): \(errnoText())"
                for d in dirs { rmdir(d) }
                return .failure(CgroupFailure(why))
            }
            dirs.append(base + name)
        }
        wsp_trace_stamp(Int32(WSP_TP_CG_MKDIR.rawValue))
        let set = CgroupSet(version: .v1, dirs: dirs, memoryDir: memory + name, pidsDir: pids + name,
                            cpuDir: cpuacct.map { $0 + name })
        let bytes = String(limits.memoryMB << 20)
        var ok = writeSmallFile(memory + name + "/memory.limit_in_bytes", bytes)
        // Count swap too when the kernel accounts it, so swapping cannot stretch the limit.
        if access(memory + name + "/memory.memsw.limit_in_bytes", F_OK) == 0 {
            ok = ok && writeSmallFile(memory + name + "/memory.memsw.limit_in_bytes", bytes)
        }
        ok = ok && writeSmallFile(pids + name + "/pids.max", String(limits.pids))
        guard ok else { let why = "writing limits: \(errnoText())"; set.destroy(); return .failure(CgroupFailure(why)) }
        wsp_trace_stamp(Int32(WSP_TP_CG_LIMITS.rawValue))
        guard set.openMembership("tasks") else { let why = "open tasks: \(errnoText())"; set.destroy(); return .failure(CgroupFailure(why)) }
        return .success(set)
    }

    private func openMembership(_ file: String) -> Bool {
        for d in dirs {
            let fd = open(d + "/" + file, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { return false }
            memberFDs.append(fd)
        }
        return true
    }

    /// CPU time used by the whole tree so far, in microseconds.
    func cpuMicros() -> UInt64? {
        guard let dir = cpuDir else { return nil }
        switch version {
        case .v1:
            return readSmallFile(dir + "/cpuacct.usage").flatMap { UInt64($0.trimmingNewline) }.map { $0 / 1000 }
        case .v2:
            return readSmallFile(dir + "/cpu.stat").flatMap { Self.field("usage_usec", in: $0) }
        }
    }

    /// Whether the memory limit was hit (OOM kill or allocation failure).
    func memoryLimitHit() -> Bool {
        switch version {
        case .v1:
            let fail = readSmallFile(memoryDir + "/memory.failcnt").flatMap { UInt64($0.trimmingNewline) } ?? 0
            let oom = readSmallFile(memoryDir + "/memory.oom_control").flatMap { Self.field("oom_kill", in: $0) } ?? 0
            return fail > 0 || oom > 0
        case .v2:
            let events = readSmallFile(memoryDir + "/memory.events") ?? ""
            return (Self.field("oom_kill", in: events) ?? 0) > 0 || (Self.field("max", in: events) ?? 0) > 0
        }
    }

    /// Whether a fork was refused by the pids limit.
    func pidsLimitHit() -> Bool {
        (readSmallFile(pidsDir + "/pids.events").flatMap { Self.field("max", in: $0) } ?? 0) > 0
    }

    /// Peak memory of the tree in bytes, where the kernel records it.
    func memoryPeak() -> UInt64? {
        switch version {
        case .v1: readSmallFile(memoryDir + "/memory.max_usage_in_bytes").flatMap { UInt64($0.trimmingNewline) }
        case .v2: readSmallFile(memoryDir + "/memory.peak").flatMap { UInt64($0.trimmingNewline) }
        }
    }

    /// Kills anything still inside and removes the directories; returns the ones that remain.
    @discardableResult
    func destroy() -> [String] {
        for fd in memberFDs { close(fd) }
        memberFDs = []
        var left: [String] = []
        for d in dirs {
            var removed = false
            for attempt in 0..<200 {
                if rmdir(d) == 0 || errno == ENOENT { removed = true; break }
                if version == .v2 { _ = writeSmallFile(d + "/cgroup.kill", "1") }
                for pid in (readSmallFile(d + "/cgroup.procs") ?? "").split(separator: "\n") {
                    if let p = Int32(pid) { kill(p, SIGKILL) }
                }
                usleep(attempt < 20 ? 1000 : 10000)
            }
            if !removed { left.append(d) }
        }
        dirs = left
        return left
    }

    static func field(_ name: String, in text: String) -> UInt64? {
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2, f[0] == name { return UInt64(f[1]) }
        }
        return nil
    }

}

func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while out.count < 1 << 20 {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

func writeSmallFile(_ path: String, _ text: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { write(fd, $0.baseAddress, bytes.count) } == bytes.count
    }

func errnoText() -> String { String(cString: strerror(errno)) }

extension String {
    var trimmingNewline: String {
        var s = self
        while s.last == "\n" || s.last == " " { s.removeLast() }
        return s
    }
}

struct CgroupFailure: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
