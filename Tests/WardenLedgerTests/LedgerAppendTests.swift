import Crypto
import Foundation
import GRDB
import Testing
import WardenCore
import WardenHome
@testable import WardenLedger

@Suite struct LedgerAppendTests {
    /// GRDB's `DatabasePool` leaves its writer at `synchronous = NORMAL` (WAL not fsynced at
    /// commit: not durable across a power loss); ledger commits must run with FULL.
    @Test func ledgerCommitsRunWithFullSynchronous() async throws {
        let env = try TestLedgerEnv()
        let ledger = try env.ledger()
        try await env.fill(ledger, count: 2)
        let level = try await env.database.pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
        #expect(level == 2, "the writer connection is at synchronous level \(String(describing: level)), not FULL (2)")
        ledger.close()
    }

    /// The ledger checks the level before every commit: if anything lowered it on the writer
    /// connection, the next commit sets FULL again before writing.
    @Test func ledgerCommitRestoresFullSynchronousAfterAChange() async throws {
        let env = try TestLedgerEnv()
        let ledger = try env.ledger()
        try await env.fill(ledger, count: 1)
        try await env.database.pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = NORMAL") }
        let lowered = try await env.database.pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
        #expect(lowered == 1)
        try await env.fill(ledger, count: 1, from: 1)
        let level = try await env.database.pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
        #expect(level == 2, "the ledger committed at synchronous level \(String(describing: level))")
        ledger.close()
    }

    /// The benchmark's breakdown counts what was committed: every record once, at least one
    /// transaction, time spent signing and committing.
    @Test func commitStatisticsCountEveryCommittedRecord() async throws {
        let env = try TestLedgerEnv()
        let ledger = try env.ledger()
        #expect(ledger.commitStatistics() == LedgerCommitStatistics())
        try await env.fill(ledger, count: 3)
        _ = try await ledger.append(contentsOf: (0..<4).map { LedgerEntry(event: .decision, tenant: "acme", actor: "t", subject: "s\($0)") })
        let stats = ledger.commitStatistics()
        ledger.close()
        #expect(stats.records == 7)
        // Each awaited append is durable before the next is made, so none shares a commit
        // (a time-based checkpoint may add a commit of its own).
        #expect(stats.commits >= 4, "3 awaited appends and one batch in \(stats.commits) commits")
        #expect(stats.builds >= stats.commits)
        #expect(stats.signNanos > 0 && stats.commitNanos > 0)
        #expect(stats.recordsPerCommit == Double(stats.records) / Double(stats.commits))
    }

    @Test func concurrentAppendsGetDistinctSeqsAndVerify() async throws {
        let env = try TestLedgerEnv()
        let ledger = try env.ledger(policy: CheckpointPolicy(everyRecords: 100, everyMillis: 600_000))
        let results = try await withThrowingTaskGroup(of: [AppendedRecord].self) { group in
            for t in 0..<8 {
                group.addTask { try await env.fill(ledger, count: 60, from: t * 1000) }
            }
            var all: [AppendedRecord] = []
            for try await r in group { all += r }
            return all
        }
        ledger.close()
        #expect(Set(results.map(\.seq)) == Set(0..<480))
        // Every acknowledged hash is the stored one.
        let stored = try env.store.records(from: 0, limit: 1000)
        for r in results { #expect(stored[Int(r.seq)].hash == r.hash) }
        let report = try LedgerVerifier.verify(store: env.store, keyring: env.keyring, origin: env.origin)
        #expect(report.ok, "\(String(describing: report.failure))")
        #expect(report.records == 480)
        // Checkpoints land at batch boundaries once 100 records are pending.
        let sizes = try env.store.checkpoints().map(\.size)
        #expect(sizes.count == 4 && report.checkpointsVerified == 4)
        #expect(zip(sizes, [100, 200, 300, 400]).allSatisfy { $0 >= $1 && $0 < $1 + 100 })
    }

    @Test func checkpointsEveryNRecordsAndOnDemand() async throws {
        let env = try TestLedgerEnv()
        let ledger = try env.ledger(policy: CheckpointPolicy(everyRecords: 10, everyMillis: 3_600_000))
        try await env.fill(ledger, count: 25)
        #expect(try env.store.checkpoints().map(\.size) == [10, 20])
        let cp = try await ledger.checkpoint()
        #expect(cp.checkpoint.size == 25)
        // On demand with nothing new returns the same checkpoint without a new row.
        let again = try await ledger.checkpoint()
        #expect(again == cp)
        #expect(try env.store.checkpoints().map(\.size) == [10, 20, 25])
        ledger.close()
        let report = try LedgerVerifier.verify(store: env.store, keyring: env.keyring, origin: env.origin)
        #expect(report.ok && report.checkpointsVerified == 3)
    }

    @Test func idleLedgerCheckpointsAfterTheInterval() async throws {
        let env = try TestLedgerEnv()
        let ledger = try env.ledger(policy: CheckpointPolicy(everyRecords: 1_000_000, everyMillis: 200))
        try await env.fill(ledger, count: 3)
        // No further appends: the committer's timer writes the checkpoint on its own.
        var sizes: [Int64] = []
        for _ in 0..<100 {
            try await Task.sleep(for: .milliseconds(50))
            sizes = try env.store.checkpoints().map(\.size)
            if sizes.last == 3 { break }
        }
        #expect(sizes.last == 3)
        ledger.close()
        #expect(try LedgerVerifier.verify(store: env.store, keyring: env.keyring, origin: env.origin).ok)
    }

    @Test func twoLedgerInstancesOnOneDatabaseKeepOneChain() async throws {
        let env = try TestLedgerEnv()
        // A second connection pool, as another process would have.
        let db2 = try WardenDatabase(path: env.dir + "/warden.db")
        let other = try Ledger(store: SQLiteLedgerStore(database: db2), signer: env.signer, node: env.node)
        let mine = try env.ledger()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await env.fill(mine, count: 50) }
            group.addTask { try await env.fill(other, count: 50, from: 100) }
            try await group.waitForAll()
        }
        mine.close()
        other.close()
        let report = try LedgerVerifier.verify(store: env.store, keyring: env.keyring, origin: env.origin)
        #expect(report.ok, "\(String(describing: report.failure))")
        #expect(report.records == 100)
    }

    @Test func openRecordsTheOpeningAndClosedLedgerRefuses() async throws {
        let env = try TestLedgerEnv()
        let ledger = try await Ledger.open(store: env.store, signer: env.signer, node: env.node)
        let first = try env.store.records(from: 0, limit: 1)
        #expect(try LedgerRecord.parse(first[0].bytes).event == "ledger.opened")
        ledger.close()
        await #expect(throws: WardenError.self) {
            try await ledger.append(event: .decision, tenant: "t", actor: "a", subject: "s")
        }
    }

    @Test func invalidEntryIsRejectedWithoutDisturbingOthers() async throws {
        let env = try TestLedgerEnv()
        let ledger = try env.ledger()
        await #expect(throws: WardenError.self) {
            try await ledger.append(event: .decision, tenant: "t", actor: "a", subject: "s", details: .array([]))
        }
        let ok = try await ledger.append(event: .decision, tenant: "t", actor: "a", subject: "s")
        #expect(ok.seq == 0)
        ledger.close()
    }

    @Test func inclusionAndConsistencyProofsFromTheStore() async throws {
        let env = try TestLedgerEnv()
        let ledger = try env.ledger()
        let appended = try await env.fill(ledger, count: 13)
        let cp = try await ledger.checkpoint()
        ledger.close()
        for r in appended {
            let proof = try LedgerProofs.inclusion(store: env.store, seq: r.seq, checkpoint: cp)
            #expect(proof.verifies && proof.recordHash == r.hash)
        }
        #expect(throws: WardenError.self) { try LedgerProofs.inclusion(store: env.store, seq: 13, checkpoint: cp) }
        let first = try SignedCheckpoint.parse(try env.store.checkpoints()[0].note, source: "c")
        let proof = try LedgerProofs.consistency(store: env.store, oldSize: 10, newSize: 13)
        #expect(MerkleHash.verifyConsistency(oldSize: 10, oldRoot: first.checkpoint.root, newSize: 13, newRoot: cp.checkpoint.root, proof: proof))
    }
}
