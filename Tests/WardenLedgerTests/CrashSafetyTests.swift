import Crypto
import Foundation
import Testing
import WardenCore
import WardenHome
@testable import WardenLedger

/// A child process appends with 4 concurrent appenders and prints each acknowledged seq; it
/// is SIGKILLed at random moments 50 times. Afterwards the ledger verifies and holds every
/// acknowledged record with the acknowledged hash. (SIGKILL tests process-crash atomicity;
/// power loss additionally relies on SQLite WAL + synchronous=FULL fsync.)
@Suite struct CrashSafetyTests {
    static var helperPath: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/warden-ledger-crashtest").path
    }

    @Test func sigkillAtRandomMomentsLosesNoAcknowledgedRecord() async throws {
        let helper = Self.helperPath
        try #require(FileManager.default.isExecutableFile(atPath: helper),
                     "missing \(helper): run `swift build` (it builds the crash-test helper) before `swift test`")
        let dir = temporaryDirectory("crash")
        let dbPath = dir + "/warden.db"
        let key = Curve25519.Signing.PrivateKey()
        var acknowledged: [Int64: String] = [:]
        var killedWhileAppending = 0
        for round in 0..<50 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: helper)
            p.arguments = [dbPath, Hex.encode(key.rawRepresentation), "4"]
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
        #expect(killedWhileAppending >= 25, "too few rounds were killed mid-append: \(killedWhileAppending)")
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
        // And the ledger is still appendable after 50 crashes.
        let ledger = try Ledger(store: store, signer: Ed25519RecordSigner(privateKey: key), node: "crash-node")
        let r = try await ledger.append(event: .decision, tenant: "t", actor: "a", subject: "s")
        #expect(r.seq == report.records)
        ledger.close()
    }
}
