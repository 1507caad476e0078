// In-process spawn+wait latency: Sandbox.run(/bin/true) (the path `warden run` and a server
// use) against a bare posix_spawn + waitpid of /bin/true. Prints medians and the ratio.
// Usage: warden-bench-sandbox [iterations]   (docs/SANDBOX.md)
#if canImport(Glibc)
import Glibc
#endif
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

var spec = SandboxSpec(command: "/bin/true")
spec.limits.allowRlimitFallback = geteuid() != 0
var bare: [UInt64] = []
var sandboxed: [UInt64] = []
for i in 0..<(iterations + 10) {
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
    if i >= 10 {   // warm-up excluded
        bare.append(t1 - t0)
        sandboxed.append(t2 - t1)
    }
}
let b = median(bare), s = median(sandboxed)
print("iterations: \(iterations)")
print("posix_spawn+waitpid /bin/true   median \(String(format: "%.3f", b)) ms")
print("Sandbox.run /bin/true           median \(String(format: "%.3f", s)) ms")
print("ratio sandbox/posix_spawn: \(String(format: "%.2f", s / b))x")
