import Crypto
import Foundation
import Testing
import WardenCore
import WardenHome
@testable import WardenLedger

/// A child process appends with 4 concurrent appenders and prints each acknowledged seq; it
/// is SIGKILLed at random moments 50 times. Afterwards the ledger verifies and holds every
/// acknowledged record with the acknowledged hash. (SIGKILL tests process-crash atomicity;
/// power loss additionally relies on SQLite WAL + synchronous=FULL fsync.) The batch variant
/// also checks that every `append(contentsOf:)` batch is in the ledger entirely or not at all.
@Suite struct CrashSafetyTests {
    static var helperPath: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/warden-ledger-crashtest").path
    }

    /// Runs the helper `rounds` times, SIGKILLing it at a random moment; returns the
    /// acknowledged seq → hash map, the database path and the key.
    static func crashRounds(_ rounds: Int, mode: String) async throws -> (acknowledged: [Int64: String], dbPath: String, key: Curve25519.Signing.PrivateKey) {
        let helper = Self.helperPath
        try #require(FileManager.default.isExecutableFile(atPath: helper),
                     "missing \(helper): run `swift build` (it builds the crash-test helper) before `swift test`")
        let dir = temporaryDirectory("crash")
        let dbPath = dir + "/warden.db"
        let key = Curve25519.Signing.PrivateKey()
        var acknowledged: [Int64: String] = [:]
        var killedWhileAppending = 0
        for round in 0..<rounds {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: helper)
            p.arguments = [dbPath, Hex.encode(key.rawRepresentation), "4", mode]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            // Random moment: 20–250 ms after start (startup, open, mid-batch, mid-checkpoint).
            try await Task.sleep(for: .milliseconds(Int.random(in: 20...250)))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            #expect(p.terminationReason == .uncaughtSignal, "round \(round): helper exited by itself (status \(p.terminationStatus))")
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            var count = 0
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ")
                guard parts.count == 2, let seq = Int64(parts[0]) else {
                    Issue.record("round \(round): unparsable line \(line)")
                    continue
                }
                #expect(acknowledged[seq] == nil || acknowledged[seq] == String(parts[1]), "seq \(seq) acknowledged twice with different hashes")
                acknowledged[seq] = String(parts[1])
                count += 1
            }
            if count > 0 { killedWhileAppending += 1 }
        }
        #expect(killedWhileAppending >= rounds / 2, "too few rounds were killed mid-append: \(killedWhileAppending)")
        return (acknowledged, dbPath, key)
    }

    /// Every acknowledged record is present with its hash, the ledger verifies and is still
    /// appendable; returns the stored records.
    static func checkAfterCrashes(_ acknowledged: [Int64: String], dbPath: String, key: Curve25519.Signing.PrivateKey) async throws -> [StoredRecord] {
        let db = try WardenDatabase(path: dbPath)
        let store = SQLiteLedgerStore(database: db)
        let records = try store.records(from: 0, limit: Int.max)
        for (seq, hash) in acknowledged {
            #expect(seq < records.count && Hex.encode(records[Int(seq)].hash) == hash, "acknowledged seq \(seq) lost or changed")
        }
        let report = try LedgerVerifier.verify(store: store, keyring: LedgerKeyring(publicKeys: [key.publicKey]),
                                               origin: Checkpoint.origin(node: "crash-node"))
        #expect(report.ok, "\(String(describing: report.failure))")
        #expect(report.records >= Int64(acknowledged.count))
        // And the ledger is still appendable after the crashes.
        let ledger = try Ledger(store: store, signer: Ed25519RecordSigner(privateKey: key), node: "crash-node")
        let r = try await ledger.append(event: .decision, tenant: "t", actor: "a", subject: "s")
        #expect(r.seq == report.records)
        ledger.close()
        return records
    }

    @Test func sigkillAtRandomMomentsLosesNoAcknowledgedRecord() async throws {
        let (acknowledged, dbPath, key) = try await Self.crashRounds(50, mode: "single")
        _ = try await Self.checkAfterCrashes(acknowledged, dbPath: dbPath, key: key)
    }

    @Test func sigkillDuringBatchAppendsLeavesWholeBatchesOnly() async throws {
        let (acknowledged, dbPath, key) = try await Self.crashRounds(30, mode: "batch")
        let records = try await Self.checkAfterCrashes(acknowledged, dbPath: dbPath, key: key)
        // Group the batch records by their batch id: each batch is complete and contiguous.
        var batches: [String: [(seq: Int64, i: Int64, count: Int64)]] = [:]
        for r in records {
            let record = try LedgerRecord.parse(r.bytes)
            guard case .object(let d) = record.details, case .string(let id)? = d["batch"],
                case .int(let i)? = d["i"], case .int(let count)? = d["count"] else { continue }
            batches[id, default: []].append((record.seq, i, count))
        }
        #expect(batches.count > 30, "too few batches were written: \(batches.count)")
        for (id, items) in batches {
            let count = items[0].count
            #expect(Int64(items.count) == count, "batch \(id) is partial: \(items.count) of \(count) records")
            #expect(items.map(\.i) == Array(0..<Int64(items.count)), "batch \(id) out of order")
            #expect(items.map(\.seq) == Array(items[0].seq..<(items[0].seq + Int64(items.count))), "batch \(id) not contiguous")
        }
    }
}
