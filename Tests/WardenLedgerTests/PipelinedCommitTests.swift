import Crypto
import Dispatch
import Foundation
import GRDB
import Testing
import WardenCore
import WardenHome
@testable import WardenLedger

/// A store whose next commit can be held at its start (before the transaction), so a test
/// can act while the committer's writer is blocked in a commit and its signer runs ahead.
/// Only the writer thread blocks here; tests wait for it by polling (`waitUntilHeld`), never
/// by blocking a Swift concurrency thread (the pool has as many threads as cores).
final class GatedStore: LedgerStore, @unchecked Sendable {
    let inner: SQLiteLedgerStore
    private let lock = NSLock()
    private var gateNext = false
    private var held = false
    let release = DispatchSemaphore(value: 0)

    init(_ inner: SQLiteLedgerStore) { self.inner = inner }

    func holdNextCommit() {
        lock.lock()
        gateNext = true
        lock.unlock()
    }

    func commit<T: Sendable>(_ body: (LedgerState) throws(WardenError) -> (LedgerWrite, T)) throws(WardenError) -> T {
        lock.lock()
        let gate = gateNext
        gateNext = false
        lock.unlock()
        if gate {
            lock.lock()
            held = true
            lock.unlock()
            release.wait()
        }
        return try inner.commit(body)
    }

    /// Waits (polling) until a commit is held; false after 20 s.
    func waitUntilHeld() async -> Bool {
        for _ in 0..<2000 {
            if isHeld { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    private var isHeld: Bool { lock.withLock { held } }

    func state() throws(WardenError) -> LedgerState { try inner.state() }
    func records(from: Int64, limit: Int) throws(WardenError) -> [StoredRecord] { try inner.records(from: from, limit: limit) }
    func forEachRecord(from: Int64, _ body: (StoredRecord) throws(WardenError) -> Bool) throws(WardenError) {
        try inner.forEachRecord(from: from, body)
    }
    func recordHashes(count: Int64) throws(WardenError) -> [[UInt8]] { try inner.recordHashes(count: count) }
    func checkpoints() throws(WardenError) -> [StoredCheckpoint] { try inner.checkpoints() }
    func latestCheckpoint() throws(WardenError) -> StoredCheckpoint? { try inner.latestCheckpoint() }
}

/// Counts signatures, to observe that records were signed ahead of a pending commit.
final class CountingSigner: RecordSigner, @unchecked Sendable {
    let inner: Ed25519RecordSigner
    private let lock = NSLock()
    private var n = 0
    var kid: String { inner.kid }
    var publicKey: Curve25519.Signing.PublicKey { inner.publicKey }

    init(_ inner: Ed25519RecordSigner) { self.inner = inner }

    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return n
    }

    func sign(_ message: [UInt8]) throws(WardenError) -> [UInt8] {
        lock.lock()
        n += 1
        lock.unlock()
        return try inner.sign(message)
    }

    /// Waits (polling) until at least `target` signatures were made; false after 20 s.
    func wait(forCount target: Int) async -> Bool {
        for _ in 0..<2000 {
            if count >= target { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }
}

/// The committer signs batch k+1 while batch k commits. These tests hold a commit open,
/// let the signer run ahead on the predicted state, then make the prediction wrong (a failed
/// commit; another writer appending) and check that nothing is written on a wrong base.
@Suite struct PipelinedCommitTests {
    static func entry(_ tag: String, _ i: Int) -> LedgerEntry {
        LedgerEntry(event: .decision, tenant: "acme", actor: "cli:alice", subject: "hello@1.0.0", decision: "allow",
                    details: ["tag": .string(tag), "i": .int(Int64(i))])
    }

    /// A ledger over a store whose next commit is held: `prefilled` records committed, then
    /// batch A (three entries tagged `tag`) signed and waiting in that held commit.
    struct HeldBatch {
        let env: TestLedgerEnv
        let store: GatedStore
        let signer: CountingSigner
        let ledger: Ledger
        let a: Task<[AppendedRecord], any Error>
    }

    static func holdingBatchA(tag: String, prefilled: Int, checkpointEvery: Int64) async throws -> HeldBatch {
        let env = try TestLedgerEnv()
        let store = GatedStore(env.store)
        let signer = CountingSigner(env.signer)
        let ledger = try Ledger(store: store, signer: signer, node: env.node,
                                policy: CheckpointPolicy(everyRecords: checkpointEvery, everyMillis: 600_000))
        try await env.fill(ledger, count: prefilled)
        store.holdNextCommit()
        let a = Task { try await ledger.append(contentsOf: (0..<3).map { Self.entry(tag, $0) }) }
        guard await store.waitUntilHeld() else {
            store.release.signal()
            throw WardenError.usage("test.not_held", "the commit was not held")
        }
        return HeldBatch(env: env, store: store, signer: signer, ledger: ledger, a: a)
    }

    /// Batch A's commit fails (a trigger refuses its rows) after B and C were already signed
    /// on the state A would have produced: A fails, B and C are signed again on the real
    /// state and committed, and the ledger verifies.
    @Test func failedCommitDoesNotStrandRecordsSignedOnIt() async throws {
        let held = try await Self.holdingBatchA(tag: "doomed", prefilled: 3, checkpointEvery: 1000)
        let (env, store, signer, ledger, a) = (held.env, held.store, held.signer, held.ledger, held.a)
        defer { store.release.signal() }  // never leave the writer held if the test stops early
        // A (seq 3...5) is signed and its commit is held; make its transaction fail.
        try await env.database.pool.write { db in
            try db.execute(sql: """
                CREATE TRIGGER test_fail_doomed BEFORE INSERT ON ledger_record WHEN instr(NEW.body, 'doomed') > 0
                BEGIN SELECT RAISE(ABORT, 'injected failure'); END
                """)
        }
        let signedBefore = signer.count
        let b = Task { try await ledger.append(Self.entry("b", 0)) }
        let c = Task { try await ledger.append(Self.entry("c", 0)) }
        // B and C are signed (on seq 6, 7 after A) while A's commit is still pending.
        #expect(await signer.wait(forCount: signedBefore + 2), "the signer did not sign ahead of the pending commit")
        store.release.signal()

        do {
            _ = try await a.value
            Issue.record("batch A committed despite the failing insert")
        } catch let error as WardenError {
            #expect(error.code == "ledger.storage_failed")
        }
        let rb = try await b.value
        let rc = try await c.value
        #expect(Set([rb.seq, rc.seq]) == [3, 4])
        // They were signed again on the real state.
        #expect(signer.count >= signedBefore + 4)
        ledger.close()

        let stored = try env.store.records(from: 0, limit: 100)
        #expect(stored.count == 5)
        #expect(!stored.contains { String(decoding: $0.bytes, as: UTF8.self).contains("doomed") })
        #expect(stored[Int(rb.seq)].hash == rb.hash && stored[Int(rc.seq)].hash == rc.hash)
        let report = try LedgerVerifier.verify(store: env.store, keyring: env.keyring, origin: env.origin)
        #expect(report.ok && report.records == 5, "\(String(describing: report.failure))")
    }

    /// Another writer (a second pool, as another process) appends while batch A's commit is
    /// held and B is signed ahead: A's transaction sees a different state and signs A again
    /// on it; B goes back to the queue and is signed again. One unbroken chain results.
    @Test func foreignAppendDuringPendingCommitKeepsOneChain() async throws {
        let held = try await Self.holdingBatchA(tag: "a", prefilled: 2, checkpointEvery: 4)
        let (env, store, signer, ledger, a) = (held.env, held.store, held.signer, held.ledger, held.a)
        defer { store.release.signal() }  // never leave the writer held if the test stops early
        let other = try Ledger(store: SQLiteLedgerStore(database: try WardenDatabase(path: env.dir + "/warden.db")),
                               signer: env.signer, node: env.node)
        let foreign = try await other.append(Self.entry("foreign", 0))
        other.close()
        #expect(foreign.seq == 2)
        let signedBefore = signer.count
        let b = Task { try await ledger.append(Self.entry("b", 0)) }
        #expect(await signer.wait(forCount: signedBefore + 1), "the signer did not sign ahead of the pending commit")
        store.release.signal()

        let ra = try await a.value
        let rb = try await b.value
        #expect(ra.map(\.seq) == [3, 4, 5])
        #expect(rb.seq == 6)
        ledger.close()

        let stored = try env.store.records(from: 0, limit: 100)
        #expect(stored.count == 7)
        for r in ra + [rb] { #expect(stored[Int(r.seq)].hash == r.hash) }
        let report = try LedgerVerifier.verify(store: env.store, keyring: env.keyring, origin: env.origin)
        #expect(report.ok && report.records == 7, "\(String(describing: report.failure))")
        #expect(report.checkpointsVerified >= 1)
    }

    /// Many concurrent single and batch appends through the pipeline, with checkpoints due
    /// in the middle of merged commits: contiguous seqs, every acknowledged hash stored, and
    /// checkpoints that verify.
    @Test func pipelinedCommitsUnderConcurrencyVerify() async throws {
        let env = try TestLedgerEnv()
        let ledger = try env.ledger(policy: CheckpointPolicy(everyRecords: 7, everyMillis: 600_000))
        let results = try await withThrowingTaskGroup(of: [AppendedRecord].self) { group in
            for t in 0..<16 {
                group.addTask {
                    var out: [AppendedRecord] = []
                    for n in 0..<25 {
                        if t % 4 == 0 {
                            out += try await ledger.append(contentsOf: (0..<(1 + n % 5)).map { Self.entry("t\(t)-\(n)", $0) })
                        } else {
                            out.append(try await ledger.append(Self.entry("t\(t)", n)))
                        }
                    }
                    return out
                }
            }
            var all: [AppendedRecord] = []
            for try await r in group { all += r }
            return all
        }
        ledger.close()
        #expect(Set(results.map(\.seq)) == Set(0..<Int64(results.count)))
        let stored = try env.store.records(from: 0, limit: 10_000)
        #expect(stored.count == results.count)
        for r in results { #expect(stored[Int(r.seq)].hash == r.hash) }
        let report = try LedgerVerifier.verify(store: env.store, keyring: env.keyring, origin: env.origin)
        #expect(report.ok && report.records == Int64(results.count), "\(String(describing: report.failure))")
        #expect(report.checkpointsVerified == (try env.store.checkpoints().count))
        #expect(report.checkpointsVerified >= results.count / 7 / 4)
    }
}
