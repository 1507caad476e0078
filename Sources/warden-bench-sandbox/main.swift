// In-process spawn+wait latency: Sandbox.run(/bin/true) (the path `warden run` and a server
// use) against a bare posix_spawn + waitpid of /bin/true, and against the kernel floor: the
// same namespaces created, a fresh root switched to (pivot_root + detach), exited and reaped
// with no other work. Iterations are interleaved so load hits every variant alike. Prints
// medians and ratios.
// Usage: warden-bench-sandbox [iterations] [--stages]   (docs/SANDBOX.md)
//   --stages: also stamp named points of each Sandbox.run (parent, init, program; shared
//   memory, see wsp_trace) and print the median offset of each from the run's start.
//   --sandbox-only: run nothing but Sandbox.run (for profiling it with perf).
#if canImport(Glibc)
import Glibc
#endif
import CWardenSpawn
import Foundation
import WardenSandbox

func nowNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// CPU time (user + system) of this process and its reaped children, in ns: around one run
/// it is what the run cost the machine, which load does not inflate the way it does wall time.
func cpuNanos() -> UInt64 {
    var total: UInt64 = 0
    for who in [RUSAGE_SELF.rawValue, RUSAGE_CHILDREN.rawValue] {
        var u = rusage()
        getrusage(who, &u)
        for t in [u.ru_utime, u.ru_stime] { total += UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_usec) * 1000 }
    }
    return total
}

func median(_ xs: [UInt64]) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? 0 : Double(s[s.count / 2]) / 1e6
}

let positional = CommandLine.arguments.dropFirst().filter { !$0.hasPrefix("--") }
let iterations = positional.first.flatMap { Int($0) } ?? 200
let stages = CommandLine.arguments.contains("--stages")
/// Only Sandbox.run, nothing interleaved (for profiling it with perf).
let sandboxOnly = CommandLine.arguments.contains("--sandbox-only")
if stages { precondition(wsp_trace_enable() == 0, "cannot map the trace page") }
let pointNames: [Int: String] = [
    0: "run start", 1: "validated + planned (mounts, resolver, Landlock, seccomp)", 2: "cgroups created",
    3: "fds/idmaps/pipes ready, spawn starts", 4: "parent: clone3 returned", 5: "parent: id maps written",
    6: "parent: child released", 7: "parent: cgroup sync sent", 8: "parent: exec seen (EOF on error pipe)",
    9: "parent: init reaped, outputs drained", 10: "parent: report built", 11: "Sandbox.run returned (cgroups removed)",
    12: "cgroups: layout parsed", 13: "cgroups: stale runs swept", 14: "cgroups: mkdir", 15: "cgroups: limits written",
    16: "child: first instruction", 17: "child: released", 18: "child: cgroups joined", 19: "child: identity (memfd_noexec, setres*id 0)",
    20: "child: private + scratch root pivot", 21: "child: mount ops + hostname", 22: "child: pivot_root + detach",
    23: "child: root read-only", 24: "child: cgroup sync + cgroup ns", 25: "child: Landlock ruleset built",
    26: "child: privileges dropped, Landlock enforced", 27: "child: rlimits", 28: "child: seccomp loaded",
    29: "child: signals + non-dumpable", 30: "init: program started (vfork returned)",
    40: "program: execve called", 41: "init: SIGCHLD", 42: "init: exiting",
]
var stageOffsets: [Int: [UInt64]] = [:]
var opTimes: [Int: [UInt64]] = [:]
var opCounts: [Int: Int] = [:]
let opNames = [1: "mkdir", 2: "create file", 3: "bind + mount_setattr", 4: "tmpfs", 5: "proc", 6: "write file",
               7: "symlink", 8: "remount read-only", 9: "move_mount"]

func posixSpawnTrue() -> Bool {
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
    defer { free(argv[0]) }
    let env: [UnsafeMutablePointer<CChar>?] = [nil]
    guard posix_spawn(&pid, "/bin/true", nil, nil, argv, env) == 0 else { return false }
    var status: Int32 = 0
    return waitpid(pid, &status, 0) == pid && status == 0
}

/// User, mount, PID, IPC, UTS, network and time namespaces: what every sandbox gets
/// (the cgroup namespace is unshared later, from inside).
let namespaceFlags: UInt64 = 0x1000_0000 | 0x0002_0000 | 0x2000_0000 | 0x0800_0000 | 0x0400_0000 | 0x4000_0000 | 0x80
let withoutNet = namespaceFlags & ~UInt64(0x4000_0000)

var spec = SandboxSpec(command: "/bin/true")
spec.limits.allowRlimitFallback = geteuid() != 0
var samples: [String: [UInt64]] = [:]
@MainActor func floor(_ name: String, _ flags: UInt64, switchRoot: Bool, keep: Bool) {
    let ns = wsp_bench_namespace_floor(flags, switchRoot ? 1 : 0)
    guard ns >= 0 else { print("\(name) failed: \(String(cString: strerror(Int32(-ns))))"); exit(1) }
    if keep { samples[name, default: []].append(UInt64(ns)) }
}
for i in 0..<(iterations + 10) {
    let keep = i >= 10   // warm-up excluded
    let c0 = cpuNanos()
    let t0 = nowNanos()
    guard sandboxOnly || posixSpawnTrue() else { print("posix_spawn failed"); exit(1) }
    let t1 = nowNanos()
    let c1 = cpuNanos()
    wsp_trace_reset()
    do {
        let report = try Sandbox.run(spec, output: nil)
        guard report.status == 0 else { print("sandboxed /bin/true exited \(report.status)"); exit(1) }
    } catch {
        print("sandbox failed: \(error)")
        exit(1)
    }
    let t2 = nowNanos()
    let c2 = cpuNanos()
    if keep {
        samples["posix", default: []].append(t1 - t0)
        samples["sandbox", default: []].append(t2 - t1)
        samples["posix-cpu", default: []].append(c1 - c0)
        samples["sandbox-cpu", default: []].append(c2 - c1)
        if stages, let trace = wsp_trace_get() {
            let t = withUnsafeBytes(of: trace.pointee.t) { Array($0.bindMemory(to: UInt64.self)) }
            let base = t[0]
            for (i, v) in t.enumerated() where v >= base && base > 0 { stageOffsets[i, default: []].append(v - base) }
            stageOffsets[11, default: []].append(t2 - base)
            let ns = withUnsafeBytes(of: trace.pointee.op_ns) { Array($0.bindMemory(to: UInt64.self)) }
            let counts = withUnsafeBytes(of: trace.pointee.op_count) { Array($0.bindMemory(to: UInt32.self)) }
            for kind in 1..<16 where counts[kind] > 0 {
                opTimes[kind, default: []].append(ns[kind])
                opCounts[kind] = Int(counts[kind])
            }
        }
    }
    if sandboxOnly { continue }
    floor("ns", namespaceFlags, switchRoot: false, keep: keep)
    floor("ns-nonet", withoutNet, switchRoot: false, keep: keep)
    floor("ns-root", namespaceFlags, switchRoot: true, keep: keep)
    if stages {
        let ns = wsp_bench_namespace_floor(namespaceFlags, 2)
        if keep && ns >= 0 { samples["ns-root-held", default: []].append(UInt64(ns)) }
    }
}
@MainActor func line(_ label: String, _ key: String) -> Double {
    let m = median(samples[key] ?? [])
    print(label.padding(toLength: 62, withPad: " ", startingAt: 0) + String(format: "median %.3f ms", m))
    return m
}
print("iterations: \(iterations)")
let b = line("posix_spawn+waitpid /bin/true", "posix")
let s = line("Sandbox.run /bin/true", "sandbox")
let n = line("floor: clone3 all namespaces, exit, reap (no program)", "ns")
_ = line("floor: same without the network namespace", "ns-nonet")
let r = line("floor: all namespaces + fresh root (pivot_root, detach)", "ns-root")
if stages { _ = line("floor: same, mount+net ns released after the reap", "ns-root-held") }
print(String(format: "ratio sandbox/posix_spawn: %.2fx (goal <= 3x)", s / b))
print(String(format: "CPU time per run (this process + reaped children, median): posix_spawn %.3f ms, Sandbox.run %.3f ms",
             median(samples["posix-cpu"] ?? []), median(samples["sandbox-cpu"] ?? [])))
print(String(format: "ratio floor(namespaces+root)/posix_spawn: %.2fx; sandbox/floor: %.2fx", r / b, s / r))
_ = n

if stages {
    print("stages (median offset from run start; delta from the previous line):")
    var previous = 0.0
    for (point, offsets) in stageOffsets.sorted(by: { median($0.value) < median($1.value) }) {
        let m = median(offsets)
        print(String(format: "  %7.3f ms  +%6.3f  ", m, m - previous) + (pointNames[point] ?? "point \(point)"))
        previous = m
    }
    print("mount-plan ops by kind (median total per run):")
    for (kind, times) in opTimes.sorted(by: { $0.key < $1.key }) {
        print(String(format: "  %7.3f ms  %2d x ", median(times), opCounts[kind] ?? 0) + (opNames[kind] ?? "kind \(kind)"))
    }
}
