// Micro-benchmark of PolicyEngine.decide (release mode):
//   swift build -c release --product warden-bench-policy && .build/release/warden-bench-policy
// Prints p50/p90/p99 per decision for a 50-rule policy. See docs/POLICY.md.
import WardenCore
import Dispatch
import Foundation
import WardenPolicy

var entries: [String: StaticHostView.Entry] = ["/usr": .directory, "/usr/bin": .directory, "/work": .directory, "/work/ws": .directory,
                                                "/work/ws/src": .directory, "/work/ws/src/main.py": .file(executable: false)]
var rules: [String] = []
for i in 1...48 {
    entries["/usr/bin/tool\(i)"] = .file(executable: true)
    rules.append("tool\(i)")
}
entries["/usr/bin/python3.11"] = .file(executable: true)
entries["/usr/bin/python3"] = .symlink("python3.11")
entries["/usr/bin/git"] = .file(executable: true)
rules.append("{program: git, args: [status]}")
rules.append("{program: python3, args: [\"-m\", \"pytest\", \"*\", \"...\"]}")
let host = StaticHostView(searchPath: ["/usr/local/bin", "/usr/bin", "/bin"], entries: entries)
let yaml = """
    version: 1
    name: bench
    filesystem: {readonly: [/usr], writable: [/work/ws], deny: ["**/.ssh/**", "**/.env", "/work/ws/secrets/**"]}
    commands: {allow: [\(rules.joined(separator: ", "))]}
    limits: {wall_seconds: 30, cpu_seconds: 10, memory_mb: 256, pids: 64, output_bytes: 1048576}
    budget: {executions: 1000, cpu_seconds: 3600}
    window: {not_before: 2026-01-01T00:00:00Z, not_after: 2027-01-01T00:00:00Z}
    """
let policy: Policy
do { policy = try PolicyLoader.parse(yaml) } catch {
    print("policy: \(error)")
    exit(1)
}
precondition(policy.commands.allow.count == 50)
let prepared = PreparedPolicy(policy, host: host)
let now = RFC3339.parse("2026-06-01T00:00:00Z")!
let state = DecisionState(executionsUsed: 10, cpuSecondsUsed: 100)
let allowReq = ExecutionRequest(tenant: "acme", argv: ["python3", "-m", "pytest", "tests", "-q"], workingDirectory: "/work/ws",
                                paths: [.init("src/main.py"), .init("out/report.xml", write: true)])
let allowNoPaths = ExecutionRequest(tenant: "acme", argv: ["python3", "-m", "pytest", "tests", "-q"], workingDirectory: "/work/ws")
let denyReq = ExecutionRequest(tenant: "acme", argv: ["git", "push"], workingDirectory: "/work/ws")

let only = CommandLine.arguments.dropFirst().first  // optional substring filter, for profiling ("mask" runs only the masker)

func measure(_ name: String, iterations: Int = 50_000, _ body: () -> Bool) {
    if let only, !name.contains(only) { return }
    var samples = [UInt64]()
    samples.reserveCapacity(iterations)
    var ok = 0
    for _ in 0..<2_000 { if body() { ok += 1 } }  // warm-up
    for _ in 0..<iterations {
        let t0 = DispatchTime.now().uptimeNanoseconds
        if body() { ok += 1 }
        samples.append(DispatchTime.now().uptimeNanoseconds - t0)
    }
    samples.sort()
    func pct(_ p: Double) -> Double { Double(samples[min(samples.count - 1, Int(Double(samples.count) * p))]) / 1000 }
    print(String(format: "%-58@ p50 %7.2f µs   p90 %7.2f µs   p99 %7.2f µs   (n=%d)", name as NSString, pct(0.5), pct(0.9), pct(0.99), iterations))
}

print("decide() on a 50-rule policy (StaticHostView, no syscalls)")
measure("allow: structured rule 50, 2 paths, 3 deny globs") {
    PolicyEngine.decide(allowReq, prepared, state, now: now).isAllowed
}
measure("allow: structured rule 50, no named paths") {
    PolicyEngine.decide(allowNoPaths, prepared, state, now: now).isAllowed
}
measure("deny: argv mismatch on rule 49, no rule matches") {
    !PolicyEngine.decide(denyReq, prepared, state, now: now).isAllowed
}
measure("allow incl. PreparedPolicy (resolve 50 programs)", iterations: 10_000) {
    PolicyEngine.decide(allowReq, policy, state, now: now, host: host).isAllowed
}
let liveHost = LiveHostView()
let livePolicy = try! PolicyLoader.parse("""
    version: 1
    filesystem: {readonly: [/usr], deny: ["**/.ssh/**"]}
    commands: {allow: [\((1...49).map { "t\($0)" }.joined(separator: ", ")), ls]}
    budget: {executions: 10, cpu_seconds: 100}
    """)
let livePrepared = PreparedPolicy(livePolicy, host: liveHost)
let liveReq = ExecutionRequest(tenant: "acme", argv: ["ls", "-l"], workingDirectory: "/usr", paths: [.init("/usr/lib")])
measure("allow on the live filesystem (realpath/stat syscalls)", iterations: 10_000) {
    PolicyEngine.decide(liveReq, livePrepared, DecisionState(), now: now).isAllowed
}

// `warden-bench-policy mask DIR...`: time DenyGlobMasker over real trees: a full walk (no
// cache), then with the listing cache: cold (empty cache), then warm (unchanged trees).
if CommandLine.arguments.count > 2, CommandLine.arguments[1] == "mask" {
    let dirs = Array(CommandLine.arguments.dropFirst(2))
    let globs = try! ["**/.ssh/**", "**/.env", "**/.aws/**"].map { try PathGlob($0) }
    let cache = NSTemporaryDirectory() + "warden-bench-mask-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: cache) }
    func timed(_ label: String, _ cacheDir: String?) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let found = try! DenyGlobMasker.expand(globs, under: dirs, cacheDirectory: cacheDir)
        let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
        print(String(format: "mask %-22@ %d matches under %@ in %.1f ms", label as NSString, found.count, dirs.joined(separator: " ") as NSString, ms))
    }
    for run in 1...2 { timed("full walk \(run)", nil) }
    timed("cached: cold", cache)
    for run in 1...5 { timed("cached: warm \(run)", cache) }
}
