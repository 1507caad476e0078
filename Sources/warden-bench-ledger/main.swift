// Ledger benchmark (release mode; not a test):
//
//   B=$(bash scripts/build-release.sh --product warden-bench-ledger)
//   $B append [--records N] [--appenders 1,8,64] [--windows 16,64] [--batches 10,100,1000]
//   $B verify [--records 1000000] [--db PATH]
//   $B micro          (encode, sign, hash, parse: per-record CPU costs)
//   $B commitloop [--records N]   (the store's durable commit alone, one record each)
//
// `append`: durable signed appends (each returns after its group commit's fsync), with C
// concurrent appenders each awaiting one `append` at a time, in a fresh database per run;
// then one caller keeping W single-record appends outstanding (each acknowledged only when
// durable; a separate row, not the awaiting-each figure); then one caller using
// `append(contentsOf:)` with B records per call (one transaction and one fsync per call,
// every record durable when the call returns); prints records/s. TMPDIR chooses the disk.
// Each `append` row also prints its commits' breakdown (`Ledger.commitStatistics`).
// `verify`: builds (or reuses, with --db) a ledger of N records, then verifies it fully,
// reporting chain+Merkle+checkpoints and parallel signature verification separately.
import Crypto
import Foundation
import WardenCore
import WardenHome
import WardenLedger

func option(_ name: String, _ fallback: String) -> String {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: name), i + 1 < args.count { return args[i + 1] }
    return fallback
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// The 1-minute load average, printed next to every figure (the machine is shared).
func load() -> String {
    let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?"
    return String(text.split(separator: " ").first ?? "?")
}

func freshDatabase() throws -> (WardenDatabase, String) {
    let dir = NSTemporaryDirectory() + "warden-bench-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return (try WardenDatabase(path: dir + "/warden.db"), dir)
}

/// Appends `total` records with `appenders` concurrent tasks; returns seconds.
func appendRun(ledger: Ledger, total: Int, appenders: Int) async throws -> Double {
    let start = now()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for a in 0..<appenders {
            let count = total / appenders + (a < total % appenders ? 1 : 0)
            group.addTask {
                for i in 0..<count {
                    _ = try await ledger.append(event: .executionFinished, tenant: "acme", actor: "bench-\(a)", subject: "tool@1.0.0",
                                                decision: "allow", details: ["execution_id": .string("e-\(a)-\(i)"), "exit": 0, "duration_ms": 12])
                }
            }
        }
        try await group.waitForAll()
    }
    return now() - start
}

/// Median latency of `fdatasync` after a 4 KiB overwrite, in the directory of `path`: the
/// floor under every durable commit. It varies with the disk's other traffic (on this shared
/// machine from ~0.1 ms to ~4 ms within minutes), so it is printed next to each figure.
func fsyncMicros(near path: String) -> Double {
    let probe = (path as NSString).deletingLastPathComponent + "/fsync-probe-\(getpid())"
    let fd = open(probe, O_RDWR | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { return .nan }
    defer { close(fd); unlink(probe) }
    let block = [UInt8](repeating: 0x5A, count: 4096)
    var samples: [Double] = []
    for _ in 0..<40 {
        _ = block.withUnsafeBytes { pwrite(fd, $0.baseAddress, 4096, 0) }
        let t = now()
        fdatasync(fd)
        samples.append((now() - t) * 1e6)
    }
    return samples.sorted()[samples.count / 2]
}

/// One caller keeps up to `window` single-record appends outstanding (a new one is issued as
/// each is acknowledged, i.e. durable) until `total` have been acknowledged; returns seconds.
/// Not the same workload as one appender awaiting each append: several records share a commit.
func windowRun(ledger: Ledger, total: Int, window: Int) async throws -> Double {
    let start = now()
    try await withThrowingTaskGroup(of: Void.self) { group in
        var issued = 0
        func issue() {
            let i = issued
            issued += 1
            group.addTask {
                _ = try await ledger.append(event: .executionFinished, tenant: "acme", actor: "bench-window", subject: "tool@1.0.0",
                                            decision: "allow", details: ["execution_id": .string("e-w-\(i)"), "exit": 0, "duration_ms": 12])
            }
        }
        while issued < min(window, total) { issue() }
        while try await group.next() != nil {
            if issued < total { issue() }
        }
    }
    return now() - start
}

/// One caller appends `total` records with `append(contentsOf:)`, `size` per call; returns seconds.
func batchRun(ledger: Ledger, total: Int, size: Int) async throws -> Double {
    let start = now()
    var done = 0
    while done < total {
        let n = min(size, total - done)
        let entries = (0..<n).map { i in
            LedgerEntry(event: .executionFinished, tenant: "acme", actor: "bench-batch", subject: "tool@1.0.0", decision: "allow",
                        details: ["execution_id": .string("e-\(done + i)"), "exit": 0, "duration_ms": 12])
        }
        _ = try await ledger.append(contentsOf: entries)
        done += n
    }
    return now() - start
}

// A fixed benchmark key (not a secret), so `verify --db` can reuse a built ledger.
guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 7, count: 32)) else { exit(2) }
let signer = Ed25519RecordSigner(privateKey: key)
let mode = CommandLine.arguments.dropFirst().first ?? "append"

switch mode {
case "append":
    let total = Int(option("--records", "20000")) ?? 20000
    func sizes(_ name: String, _ fallback: String) -> [Int] {
        option(name, fallback).split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 }
    }
    let list = sizes("--appenders", "1,8,64,512")
    let windows = sizes("--windows", "16,64")
    let batches = sizes("--batches", "10,100,1000")
    print("durable signed appends, \(total) records per run, checkpoint every 1000 records")
    /// One row: a fresh ledger, `body` appends `n` records and returns seconds, then the figures.
    func row(_ label: String, records n: Int, _ body: (Ledger) async throws -> Double) async throws {
        let (db, dir) = try freshDatabase()
        let ledger = try Ledger(store: SQLiteLedgerStore(database: db), signer: signer, node: "bench")
        let secs = try await body(ledger)
        let stats = ledger.commitStatistics()
        ledger.close()
        print(String(format: "%@  records=%7d  %.2f s  %9.0f records/s  load %@  fdatasync %.0f us",
                     label, n, secs, Double(n) / secs, load(), fsyncMicros(near: db.path)))
        print(String(format: "    per commit: %.1f records, signing %.0f us, store transaction (incl. fsync) %.0f us, waking callers %.0f us, between commits %.0f us",
                     stats.recordsPerCommit, stats.signMicrosPerCommit, stats.commitMicros, stats.notifyMicros, stats.betweenMicros))
        try? FileManager.default.removeItem(atPath: dir)
    }
    for c in list {
        let n = c == 1 ? min(total, 5000) : total
        try await row(String(format: "appenders=%4d (each awaits one append at a time)", c), records: n) {
            try await appendRun(ledger: $0, total: n, appenders: c)
        }
    }
    for w in windows {
        try await row(String(format: "1 caller, window of %3d outstanding appends (each acked when durable)", w), records: total) {
            try await windowRun(ledger: $0, total: total, window: w)
        }
    }
    for b in batches {
        try await row(String(format: "1 caller, append(contentsOf:) %4d records per call", b), records: total) {
            try await batchRun(ledger: $0, total: total, size: b)
        }
    }
case "verify":
    let total = Int(option("--records", "1000000")) ?? 1_000_000
    let path = option("--db", "")
    let db: WardenDatabase
    if path.isEmpty { db = try freshDatabase().0 } else { db = try WardenDatabase(path: path) }
    let store = SQLiteLedgerStore(database: db)
    let have = try store.state().size
    if have < total {
        let ledger = try Ledger(store: store, signer: signer, node: "bench")
        let secs = try await appendRun(ledger: ledger, total: total - Int(have), appenders: 512)
        ledger.close()
        print(String(format: "built %d records in %.1f s (%.0f records/s, 512 appenders)", total - Int(have), secs, Double(total - Int(have)) / secs))
    }
    func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }
    let loadBefore = load()
    let cpuStart = cpuSeconds()
    let start = now()
    let report = try LedgerVerifier.verify(store: store, keyring: LedgerKeyring(publicKeys: [key.publicKey]), origin: nil)
    let wall = now() - start
    print(String(format: "verified %lld records, %d checkpoints: ok=%@  (load before %@, after %@)", report.records, report.checkpointsVerified,
                 report.ok ? "true" : "false", loadBefore, load()))
    print(String(format: "  chain + Merkle + checkpoints (read, parse/canonical check, hash; wall): %.2f s", report.chainSeconds))
    print(String(format: "  Ed25519 signatures (%d threads): %.2f s", report.signatureThreads, report.signatureSeconds))
    let cpu = cpuSeconds() - cpuStart
    print(String(format: "  total wall: %.2f s; process CPU (user+sys, all threads): %.2f s = chain phases %.2f s + signature phases %.2f s",
                 wall, cpu, cpu - report.signatureCPUSeconds, report.signatureCPUSeconds))
    if let f = report.failure { print("  failure: \(f)") }
case "micro":
    // Per-record costs of the commit path, single thread.
    let n = 20000
    let sample = LedgerRecord(seq: 1, time: 1, node: "bench", tenant: "acme", actor: "bench-0", event: "execution.finished",
                              subject: "tool@1.0.0", decision: "allow", details: ["execution_id": "e-0-1", "exit": 0, "duration_ms": 12],
                              prev: String(repeating: "0", count: 64), kid: signer.kid, sig: "")
    var t = now()
    var bytes: [UInt8] = []
    for _ in 0..<n { bytes = CanonicalJSON.encode(sample.unsignedJSON) }
    print(String(format: "canonical encode: %.1f us/record", (now() - t) / Double(n) * 1e6))
    t = now()
    for _ in 0..<n { _ = try signer.sign(bytes) }
    print(String(format: "Ed25519 sign: %.1f us/record", (now() - t) / Double(n) * 1e6))
    t = now()
    for _ in 0..<n { _ = LedgerRecord.hash(of: bytes) }
    print(String(format: "SHA-256: %.1f us/record", (now() - t) / Double(n) * 1e6))
    let signed = LedgerRecord(seq: 1, time: 1, node: "bench", tenant: "acme", actor: "bench-0", event: "execution.finished",
                              subject: "tool@1.0.0", decision: "allow", details: sample.details, prev: sample.prev, kid: signer.kid,
                              sig: Base64URL.encode(try signer.sign(bytes))).canonicalBytes
    t = now()
    for _ in 0..<n { _ = try StrictJSONParser.parse(signed) }
    print(String(format: "StrictJSONParser.parse alone: %.1f us/record", (now() - t) / Double(n) * 1e6))
    t = now()
    for _ in 0..<n { _ = try LedgerRecord.parseWithMessage(signed) }
    print(String(format: "record parse + canonical check + message: %.1f us/record", (now() - t) / Double(n) * 1e6))
    t = now()
    for _ in 0..<n { _ = key.publicKey.isValidSignature(try signer.sign(bytes), for: bytes) }
    print(String(format: "Ed25519 sign+verify: %.1f us/record", (now() - t) / Double(n) * 1e6))
case "commitloop":
    // The store alone: one thread, durable one-record transactions, no signing or hand-offs.
    let (db, dir) = try freshDatabase()
    let store = SQLiteLedgerStore(database: db)
    var state = try store.state()
    let n = Int(option("--records", "2000")) ?? 2000
    func threadCPU() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
    let (t0, c0) = (now(), threadCPU())
    for i in 0..<n {
        let record = StoredRecord(seq: state.size, hash: [UInt8](repeating: UInt8(i & 255), count: 32),
                                  bytes: [UInt8](repeating: 0x41, count: 600))
        var next = state
        next.size += 1
        next.lastHash = record.hash
        next.frontier.append(leafHash: MerkleHash.leaf(record.hash))
        let write = LedgerWrite(records: [record], checkpoints: [], state: next)
        try store.commit { _ in (write, 0) }
        state = next
    }
    print(String(format: "store commit of one 600-byte record, %d in a row: %.1f us wall, %.1f us CPU each; load %@, fdatasync %.0f us",
                 n, (now() - t0) / Double(n) * 1e6, (threadCPU() - c0) / Double(n) * 1e6, load(), fsyncMicros(near: db.path)))
    try? FileManager.default.removeItem(atPath: dir)
default:
    FileHandle.standardError.write(Data("usage: warden-bench-ledger append|verify|micro|commitloop [--records N] [--appenders 1,8] [--db PATH]\n".utf8))
    exit(2)
}
