// In-process spawn+wait latency: Sandbox.run(/bin/true) (the path `warden run` and a server
// use) against a bare posix_spawn + waitpid of /bin/true, and against the kernel floor: the
// same namespaces created, a fresh root switched to (pivot_root + detach), exited and reaped
// with no other work. Iterations are interleaved so load hits every variant alike. Prints
// medians and ratios.
// Usage: warden-bench-sandbox [iterations]   (docs/SANDBOX.md)
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

func median(_ xs: [UInt64]) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? 0 : Double(s[s.count / 2]) / 1e6
}

let iterations = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 200 : 200

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
    let t0 = nowNanos()
    guard posixSpawnTrue() else { print("posix_spawn failed"); exit(1) }
    let t1 = nowNanos()
    do {
        let report = try Sandbox.run(spec, output: nil)
        guard report.status == 0 else { print("sandboxed /bin/true exited \(report.status)"); exit(1) }
    } catch {
        print("sandbox failed: \(error)")
        exit(1)
    }
    let t2 = nowNanos()
    if keep {
        samples["posix", default: []].append(t1 - t0)
        samples["sandbox", default: []].append(t2 - t1)
    }
    floor("ns", namespaceFlags, switchRoot: false, keep: keep)
    floor("ns-nonet", withoutNet, switchRoot: false, keep: keep)
    floor("ns-root", namespaceFlags, switchRoot: true, keep: keep)
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
print(String(format: "ratio sandbox/posix_spawn: %.2fx (goal <= 3x)", s / b))
print(String(format: "ratio floor(namespaces+root)/posix_spawn: %.2fx; sandbox/floor: %.2fx", r / b, s / r))
_ = n
