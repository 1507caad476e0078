import Crypto
import Foundation
import GRDB
import Testing
import WardenCore
import WardenHome
@testable import WardenLedger

/// `append(contentsOf:)`: one transaction per call, in order, contiguous seqs, all or nothing.
@Suite struct LedgerBatchAppendTests {
    static func entries(_ tag: String, _ count: Int) -> [LedgerEntry] {
        (0..<count).map { i in
            LedgerEntry(event: .executionFinished, tenant: "acme", actor: tag, subject: "tool@1.0.0", decision: "allow",
                        details: ["batch": .string(tag), "i": .int(Int64(i)), "count": .int(Int64(count))])
        }
    }

    @Test func batchGetsContiguousSeqsInOrderAndVerifies() async throws {
        let env = try TestLedgerEnv()
        let ledger = try env.ledger(policy: CheckpointPolicy(everyRecords: 25, everyMillis: 600_000))
        try await env.fill(ledger, count: 3)
        let batch = try await ledger.append(contentsOf: Self.entries("b0", 40))
        #expect(batch.map(\.seq) == Array(3..<43))
        #expect(Set(batch.map(\.time)).count == 1)
        let empty = try await ledger.append(contentsOf: [])
        #expect(empty.isEmpty)
        let blocking = try await Task.detached { try ledger.appendBlocking(contentsOf: Self.entries("b1", 5)) }.value
        #expect(blocking.map(\.seq) == Array(43..<48))
        ledger.close()
        let stored = try env.store.records(from: 0, limit: 100)
        #expect(stored.count == 48)
        for r in batch + blocking { #expect(stored[Int(r.seq)].hash == r.hash) }
        for (k, r) in batch.enumerated() {
            let record = try LedgerRecord.parse(stored[Int(r.seq)].bytes)
            #expect(record.details == ["batch": "b0", "i": .int(Int64(k)), "count": 40])
        }
        let report = try LedgerVerifier.verify(store: env.store, keyring: env.keyring, origin: env.origin)
        #expect(report.ok, "\(String(describing: report.failure))")
        #expect(report.records == 48)
        // The checkpoint policy still applies at the end of the transaction.
        #expect(try env.store.checkpoints().map(\.size) == [43])
    }

    @Test func concurrentBatchesAndSinglesStayContiguous() async throws {
        let env = try TestLedgerEnv()
        let ledger = try env.ledger(policy: CheckpointPolicy(everyRecords: 100, everyMillis: 600_000))
        let results = try await withThrowingTaskGroup(of: [[AppendedRecord]].self) { group in
            for t in 0..<6 {
                group.addTask {
                    var out: [[AppendedRecord]] = []
                    for n in 0..<10 {
                        if t % 2 == 0 {
                            out.append(try await ledger.append(contentsOf: Self.entries("t\(t)-\(n)", 1 + (n * 7 + t) % 13)))
                        } else {
                            out.append([try await ledger.append(Self.entries("t\(t)-\(n)", 1)[0])])
                        }
                    }
                    return out
                }
            }
            var all: [[AppendedRecord]] = []
            for try await r in group { all += r }
            return all
        }
        ledger.close()
        for batch in results {
            #expect(batch.map(\.seq) == Array(batch[0].seq..<(batch[0].seq + Int64(batch.count))))
        }
        let total = results.reduce(0) { $0 + $1.count }
        #expect(Set(results.flatMap { $0.map(\.seq) }) == Set(0..<Int64(total)))
        let report = try LedgerVerifier.verify(store: env.store, keyring: env.keyring, origin: env.origin)
        #expect(report.ok && report.records == Int64(total))
    }

    @Test func invalidEntryRejectsTheWholeBatchBeforeWriting() async throws {
        let env = try TestLedgerEnv()
        let ledger = try env.ledger()
        try await env.fill(ledger, count: 2)
        var batch = Self.entries("bad", 5)
        batch[3].details = "not an object"
        await #expect(throws: WardenError.self) { try await ledger.append(contentsOf: batch) }
        #expect(try env.store.state().size == 2)
        #expect(try await ledger.append(contentsOf: Self.entries("ok", 2)).map(\.seq) == [2, 3])
        ledger.close()
    }

    /// A failure in the middle of the transaction (here: the 6th insert is refused by a
    /// trigger) writes none of the batch, leaves the state untouched, and the ledger
    /// continues on the same chain afterwards.
    @Test func failedCommitWritesNothingOfTheBatch() async throws {
        let env = try TestLedgerEnv()
        let ledger = try env.ledger(policy: CheckpointPolicy(everyRecords: 3, everyMillis: 600_000))
        try await env.fill(ledger, count: 4)
        let before = try env.store.state()
        try await env.database.pool.write { db in
            try db.execute(sql: """
                CREATE TRIGGER test_fail_insert BEFORE INSERT ON ledger_record WHEN NEW.seq = 9
                BEGIN SELECT RAISE(ABORT, 'injected failure'); END
                """)
        }
        do {
            _ = try await ledger.append(contentsOf: Self.entries("doomed", 10))
            Issue.record("the batch committed despite the failing insert")
        } catch {
            #expect(error.code == "ledger.storage_failed")
        }
        #expect(try env.store.state() == before)
        #expect(try env.store.records(from: 0, limit: 100).count == 4)
        #expect(try env.store.checkpoints().map(\.size) == [3])
        try await env.database.pool.write { db in try db.execute(sql: "DROP TRIGGER test_fail_insert") }
        let after = try await ledger.append(contentsOf: Self.entries("later", 10))
        #expect(after.map(\.seq) == Array(4..<14))
        ledger.close()
        let report = try LedgerVerifier.verify(store: env.store, keyring: env.keyring, origin: env.origin)
        #expect(report.ok && report.records == 14, "\(String(describing: report.failure))")
    }
}
