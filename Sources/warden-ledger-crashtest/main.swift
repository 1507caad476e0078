// Test helper for the crash-safety test: appends records forever with several concurrent
// appenders and prints "<seq> <hash hex>" for each acknowledged (durable) append. The test
// SIGKILLs it at random moments and then checks every printed record is in the ledger.
//
// With MODE `batch`, each appender uses `append(contentsOf:)` with 1–16 entries whose details
// name the batch ({"batch", "i", "count"}), so the test can check batches are all or nothing.
//
// usage: warden-ledger-crashtest DB_PATH SEED_HEX [APPENDERS] [single|batch]
import Crypto
import Foundation
import WardenCore
import WardenHome
import WardenLedger

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("warden-ledger-crashtest: \(message)\n".utf8))
    exit(2)
}

let args = CommandLine.arguments
guard args.count >= 3, let seed = Hex.decode(args[2]), seed.count == 32,
    let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed)
else { fail("usage: warden-ledger-crashtest DB_PATH SEED_HEX(64) [APPENDERS]") }
let appenders = args.count > 3 ? Int(args[3]) ?? 4 : 4
let batchMode = args.count > 4 && args[4] == "batch"

/// One write(2) per line: lines up to PIPE_BUF are never torn, even when killed.
func emit(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
}

do {
    let db = try WardenDatabase(path: args[1])
    let ledger = try await Ledger.open(store: SQLiteLedgerStore(database: db), signer: Ed25519RecordSigner(privateKey: key),
                                       node: "crash-node", policy: CheckpointPolicy(everyRecords: 50, everyMillis: 20))
    try await withThrowingTaskGroup(of: Void.self) { group in
        for a in 0..<appenders {
            group.addTask {
                var n: Int64 = 0
                while batchMode {
                    let count = Int64.random(in: 1...16)
                    let entries = (0..<count).map { i in
                        LedgerEntry(event: .executionFinished, tenant: "acme", actor: "appender-\(a)", subject: "tool@1",
                                    decision: "allow", details: ["batch": .string("\(getpid())-\(a)-\(n)"), "i": .int(i), "count": .int(count)])
                    }
                    for r in try await ledger.append(contentsOf: entries) { emit("\(r.seq) \(r.hashHex)") }
                    n += 1
                }
                while true {
                    let r = try await ledger.append(event: .executionFinished, tenant: "acme", actor: "appender-\(a)",
                                                    subject: "tool@1", decision: "allow", details: ["n": .int(n), "exit": 0])
                    emit("\(r.seq) \(r.hashHex)")
                    n += 1
                }
            }
        }
        try await group.waitForAll()
    }
} catch let e as WardenError {
    fail(e.description)
} catch {
    fail("\(error)")
}
