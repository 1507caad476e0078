import Dispatch
import Foundation
import WardenCore

/// Group commit as a two-stage pipeline. Appenders enqueue and wait. Queued entries are
/// chained and signed on top of the state the batches before them will leave (`predicted`);
/// a **writer** thread commits everything signed so far in one store transaction (one fsync)
/// and then wakes those appenders. While the writer commits, a **signer** thread signs what
/// arrives, so signing batch k+1 (the only sequential CPU work: each `prev` covers the
/// previous record's signature) overlaps the commit and fsync of batch k, and it rides in the
/// next fsync; while the writer is not committing it signs arrivals itself (no hand-off
/// between threads on a caller's way to the next commit). Each append still returns only
/// after its record is durable.
///
/// Chain safety does not depend on the prediction: inside its transaction the writer compares
/// the stored state with the state the batch was signed on, and if they differ (another
/// process appended, or an earlier commit failed) it signs the entries again on the stored
/// state before writing, exactly as a non-pipelined committer would. After a failed or
/// re-signed commit, batches signed on the wrong prediction are put back in the queue (in
/// their original order) and signed again on the real state; only the entries of the failed
/// transaction fail.
///
/// A queued item is one caller's entries (one for `append`, many for `append(contentsOf:)`);
/// an item is never split across transactions, so a batch append is all or nothing. The
/// signer also writes time-based checkpoints when idle.
final class GroupCommitter: @unchecked Sendable {
    typealias Completion = @Sendable (Result<[AppendedRecord], WardenError>) -> Void
    typealias CheckpointCompletion = @Sendable (Result<StoredCheckpoint?, WardenError>) -> Void

    private struct Pending {
        /// Arrival order, kept when items are put back in the queue.
        let ticket: UInt64
        let entries: [EncodedEntry]
        let done: Completion
    }

    /// Items signed on top of `base`, waiting for the writer.
    private struct Prepared {
        let base: LedgerState
        let items: [Pending]
        let waiters: [CheckpointCompletion]
        let write: LedgerWrite
        let appended: [AppendedRecord]
    }

    private let store: LedgerStore
    private let builder: BatchBuilder
    private let maxBatch: Int
    private let clock: @Sendable () -> Int64
    /// How long the writer waits for the callers of the previous commit to come back (their
    /// records are signed as they arrive) before committing a smaller batch.
    private let gatherNanos: UInt64

    // Guarded by `lock`.
    private let lock = CommitterLock()
    private var queue: [Pending] = []
    private var nextTicket: UInt64 = 0
    private var checkpointWaiters: [CheckpointCompletion] = []
    private var prepared: [Prepared] = []
    private var preparedItems = 0
    private var preparedRecords = 0
    /// The state after every batch signed so far (committed or prepared); nil when unknown
    /// (a commit failed and the state could not be read back).
    private var predicted: LedgerState?
    /// Bumped whenever the writer replaces `predicted`; a batch signed under an older epoch
    /// was built on a wrong state and goes back to the queue.
    private var epoch = 0
    /// A batch is being built (by the signer, or inline by the writer); `builds` counts
    /// finished builds. Only one build runs at a time: each extends `predicted`.
    private var signing = false
    private var builds = 0
    private var writing = false
    /// The writer sleeps until this many items are prepared (0: any change).
    private var writerWants = 0
    /// The signer sleeps with no time-based checkpoint timer armed.
    private var signerSleepsUntimed = false
    /// Items (callers) served by the previous commit.
    private var lastCallers = 0
    private var statistics = LedgerCommitStatistics()
    private var stopping = false
    private var signerDone = false
    private var stopped = false
    /// Signalled once by the writer when both threads are done.
    private let exited = DispatchSemaphore(value: 0)

    init(store: LedgerStore, builder: BatchBuilder, initial: LedgerState, maxBatch: Int = 4096,
         gatherMicroseconds: Int = 200, clock: @escaping @Sendable () -> Int64) {
        self.store = store
        self.builder = builder
        self.predicted = initial
        self.maxBatch = maxBatch
        self.gatherNanos = UInt64(max(0, gatherMicroseconds)) * 1000
        self.clock = clock
        let signer = Thread { [self] in self.signLoop() }
        signer.name = "warden-ledger-sign"
        let writer = Thread { [self] in self.writeLoop() }
        writer.name = "warden-ledger-write"
        signer.start()
        writer.start()
    }

    /// Queues `entries` (already validated and encoded) for one transaction; `done` gets
    /// their records in order once that transaction is durable.
    func enqueue(_ entries: [EncodedEntry], done: @escaping Completion) {
        lock.lock()
        if stopping {
            lock.unlock()
            done(.failure(.usage("ledger.closed", "the ledger is closed")))
            return
        }
        queue.append(Pending(ticket: nextTicket, entries: entries, done: done))
        nextTicket += 1
        wakeForWork()
        lock.unlock()
    }

    func requestCheckpoint(done: @escaping CheckpointCompletion) {
        lock.lock()
        if stopping {
            lock.unlock()
            done(.failure(.usage("ledger.closed", "the ledger is closed")))
            return
        }
        checkpointWaiters.append(done)
        wakeForWork()
        lock.unlock()
    }

    /// Commits whatever is queued, then stops both threads. Blocks until they have exited.
    func stop() {
        lock.lock()
        stopping = true
        lock.signalBoth()
        let already = stopped
        lock.unlock()
        if !already {
            exited.wait()
            exited.signal()  // for any other caller of stop()
        }
    }

    /// The time breakdown so far (`LedgerCommitStatistics`).
    func commitStatistics() -> LedgerCommitStatistics {
        lock.lock()
        defer { lock.unlock() }
        return statistics
    }

    /// Who signs newly queued work: the writer itself while it is not committing (no
    /// hand-off between threads on the way to the next commit), the signer while it is.
    /// Lock held.
    private func wakeForWork() {
        if writing { lock.signal(.signer) } else { lock.signal(.writer) }
    }

    // MARK: Signer

    private func signLoop() {
        lock.lock()
        while true {
            let hasWork = !queue.isEmpty || !checkpointWaiters.isEmpty
            if hasWork && predicted == nil {
                // The state is unknown after a failed commit: read it once nothing is in flight.
                if prepared.isEmpty && !writing && !signing { reloadState() } else { lock.wait(.signer) }
                continue
            }
            if hasWork && !signing && preparedRecords < maxBatch && writing {
                // Sign ahead while the writer commits (when idle it signs inline itself).
                build(timer: false)
                continue
            }
            if stopping && !hasWork {
                // Stay until the writer is done: a failed commit can put items back.
                if prepared.isEmpty && !writing && !signing {
                    signerDone = true
                    lock.signal(.writer)
                    lock.unlock()
                    return
                }
                lock.wait(.signer)
                continue
            }
            if !hasWork && !signing && !stopping, let p = predicted, p.size > p.checkpointSize, preparedRecords < maxBatch {
                // Time-based checkpoint: wake when the oldest uncovered record is due.
                let dueAt = p.pendingSinceMillis + builder.policy.everyMillis
                let waitMillis = max(0, dueAt - clock())
                if waitMillis == 0
                    || !lock.wait(.signer, untilNanos: CommitterLock.nowNanos() + UInt64(waitMillis) * 1_000_000) {
                    if queue.isEmpty && checkpointWaiters.isEmpty && !signing && predicted == p { build(timer: true) }
                }
                continue
            }
            signerSleepsUntimed = true
            lock.wait(.signer)
            signerSleepsUntimed = false
        }
    }

    /// Reads the stored state into `predicted`, or fails what is queued. Lock held on entry
    /// and exit.
    private func reloadState() {
        signing = true
        lock.unlock()
        let fresh: Result<LedgerState, WardenError>
        do { fresh = .success(try store.state()) } catch { fresh = .failure(error) }
        lock.lock()
        signing = false
        switch fresh {
        case .success(let state):
            predicted = state
            epoch += 1
            lock.signal(.writer)
        case .failure(let error):
            let items = queue
            let waiters = checkpointWaiters
            queue = []
            checkpointWaiters = []
            lock.unlock()
            for p in items { p.done(.failure(error)) }
            for w in waiters { w(.failure(error)) }
            lock.lock()
            lock.signal(.writer)
        }
    }

    /// Takes whole queued items (at least one, up to `maxBatch` records) and checkpoint
    /// requests, signs them on `predicted` without the lock, and hands the result to the
    /// writer. With `timer`, builds no records and only writes a checkpoint if one is due.
    /// Lock held on entry and exit; runs on the signer or (inline) on the writer.
    private func build(timer: Bool) {
        guard let base = predicted, !signing else { return }
        var take = 0
        var records = 0
        if !timer {
            while take < queue.count && (take == 0 || records + queue[take].entries.count <= maxBatch) {
                records += queue[take].entries.count
                take += 1
            }
        }
        let items = Array(queue.prefix(take))
        queue.removeFirst(take)
        let waiters = timer ? [] : checkpointWaiters
        if !timer { checkpointWaiters = [] }
        let startEpoch = epoch
        signing = true
        lock.unlock()

        var entries: [EncodedEntry] = []
        entries.reserveCapacity(records)
        for p in items { entries.append(contentsOf: p.entries) }
        let built: Result<(LedgerWrite, BatchBuilder.Output), WardenError>
        let started = CommitterLock.nowNanos()
        do {
            built = .success(try builder.build(entries: entries, on: base, now: clock(), forceCheckpoint: !waiters.isEmpty))
        } catch {
            built = .failure(error)
        }
        let signed = CommitterLock.nowNanos() - started

        lock.lock()
        signing = false
        builds += 1
        statistics.builds += 1
        statistics.signNanos += signed
        if epoch != startEpoch {
            // The writer replaced the state while these were signed: sign them again.
            requeue(items, waiters)
            lock.signalBoth()
            return
        }
        switch built {
        case .success(let (write, output)):
            if write.records.isEmpty && write.checkpoints.isEmpty && waiters.isEmpty { break }
            prepared.append(Prepared(base: base, items: items, waiters: waiters, write: write, appended: output.appended))
            preparedItems += items.count
            preparedRecords += write.records.count
            predicted = write.state
            // Records now wait for a checkpoint: the signer must arm its timer.
            if signerSleepsUntimed && write.state.size > write.state.checkpointSize { lock.signal(.signer) }
        case .failure(let error):
            // Nothing was written and `predicted` is unchanged.
            lock.unlock()
            for p in items { p.done(.failure(error)) }
            for w in waiters { w(.failure(error)) }
            lock.lock()
        }
        if writerWants == 0 || preparedItems >= writerWants { lock.signal(.writer) }
    }

    /// Puts items back in the queue in arrival order. Lock held.
    private func requeue(_ items: [Pending], _ waiters: [CheckpointCompletion]) {
        if !items.isEmpty {
            queue.append(contentsOf: items)
            queue.sort { $0.ticket < $1.ticket }
        }
        checkpointWaiters.insert(contentsOf: waiters, at: 0)
    }

    // MARK: Writer

    private func writeLoop() {
        lock.lock()
        /// End of the current gathering wait (0: not gathering).
        var gatherDeadline: UInt64 = 0
        /// When the previous commit's callers had been woken (0: no commit yet).
        var notified: UInt64 = 0
        while true {
            let hasWork = !queue.isEmpty || !checkpointWaiters.isEmpty
            // Not committing: sign what is queued here, on the way to the next commit — for
            // the first batch, and while gathering (not once the expected callers are in or
            // the wait is over: then commit, and the signer signs the rest meanwhile).
            let gathering = preparedItems < lastCallers && gatherNanos > 0 && !stopping
                && (gatherDeadline == 0 || CommitterLock.nowNanos() < gatherDeadline)
            if hasWork && !signing && predicted != nil && preparedRecords < maxBatch && (prepared.isEmpty || gathering) {
                build(timer: false)
                continue
            }
            if prepared.isEmpty {
                if signerDone && !hasWork {
                    stopped = true
                    lock.unlock()
                    exited.signal()
                    return
                }
                // The signer is mid-build (it signals when done) or must reload the state.
                if hasWork && predicted == nil { lock.signal(.signer) }
                lock.wait(.writer)
                continue
            }
            // Gather: the callers woken by the previous commit are usually about to append
            // again; their records are signed as they arrive, and waiting a bounded moment
            // for the rest keeps them in this transaction instead of splitting them over two
            // fsyncs. A lone caller (lastCallers 1) never waits, and after a smaller batch the
            // expectation shrinks with it.
            if preparedItems > 0 && preparedItems < lastCallers && !stopping && gatherNanos > 0 {
                let now = CommitterLock.nowNanos()
                if gatherDeadline == 0 { gatherDeadline = now + gatherNanos }
                if now < gatherDeadline {
                    writerWants = lastCallers
                    lock.wait(.writer, untilNanos: gatherDeadline)
                    writerWants = 0
                    continue
                }
            }
            gatherDeadline = 0
            // A batch being signed right now joins this commit (bounded by one build).
            if signing {
                let seen = builds
                while signing && builds == seen { lock.wait(.writer) }
            }
            let batches = prepared
            prepared = []
            let items = preparedItems
            preparedItems = 0
            preparedRecords = 0
            writing = true
            if !queue.isEmpty || !checkpointWaiters.isEmpty { lock.signal(.signer) }
            lock.unlock()
            let started = CommitterLock.nowNanos()
            let committed = commit(batches)
            let finished = CommitterLock.nowNanos()
            lock.lock()
            writing = false
            statistics.commits += 1
            statistics.records += batches.reduce(0) { $0 + $1.write.records.count }
            statistics.commitNanos += finished - started
            if notified > 0 { statistics.betweenNanos += started - notified }
            if items > 0 { lastCallers = items }
            if let state = committed.resync {
                // The prediction was wrong (a failure, or another process appended): whatever
                // was signed on it goes back to the queue and is signed on the real state.
                for b in prepared { requeue(b.items, b.waiters) }
                prepared = []
                preparedItems = 0
                preparedRecords = 0
                predicted = state
                epoch += 1
            }
            // Wake the signer only when it has something to do: reload the state, or stop
            // (what queued meanwhile is signed here, on the next turn of this loop).
            if stopping || predicted == nil { lock.signal(.signer) }
            lock.unlock()
            let waking = CommitterLock.nowNanos()
            committed.notify()
            notified = CommitterLock.nowNanos()
            lock.lock()
            statistics.notifyNanos += notified - waking
        }
    }

    private struct Committed {
        /// The state to continue from when the prediction turned out wrong (nil inside means
        /// unknown: read it again); nil when the prediction held.
        var resync: LedgerState??
        var notify: () -> Void
    }

    /// One transaction for `batches` (signed in order on `batches[0].base`).
    private func commit(_ batches: [Prepared]) -> Committed {
        let base = batches[0].base
        var merged = LedgerWrite(records: [], checkpoints: [], state: batches[batches.count - 1].write.state)
        var appended: [AppendedRecord] = []
        for b in batches {
            merged.records.append(contentsOf: b.write.records)
            merged.checkpoints.append(contentsOf: b.write.checkpoints)
            appended.append(contentsOf: b.appended)
        }
        let builder = self.builder
        let clock = self.clock
        let forced = batches.contains { !$0.waiters.isEmpty }
        typealias Outcome = (appended: [AppendedRecord], checkpoint: StoredCheckpoint?, resigned: LedgerState?)
        let result: Result<Outcome, WardenError>
        do {
            result = .success(try store.commit { (state) throws(WardenError) -> (LedgerWrite, Outcome) in
                if state == base { return (merged, (appended, merged.checkpoints.last, nil)) }
                // Someone else extended the ledger since these were signed: sign the same
                // entries again on the stored state, inside the transaction.
                var entries: [EncodedEntry] = []
                for b in batches { for p in b.items { entries.append(contentsOf: p.entries) } }
                let (write, output) = try builder.build(entries: entries, on: state, now: clock(), forceCheckpoint: forced)
                return (write, (output.appended, output.checkpoint, write.state))
            })
        } catch {
            result = .failure(error)
        }
        let items = batches.flatMap(\.items)
        let waiters = batches.flatMap(\.waiters)
        switch result {
        case .success(let outcome):
            let store = self.store
            return Committed(resync: outcome.resigned.map { .some($0) }, notify: {
                var offset = 0
                for p in items {
                    let n = p.entries.count
                    p.done(.success(Array(outcome.appended[offset..<(offset + n)])))
                    offset += n
                }
                if !waiters.isEmpty {
                    // A forced checkpoint with nothing new is not rewritten; report the stored one.
                    let latest: Result<StoredCheckpoint?, WardenError>
                    if let c = outcome.checkpoint { latest = .success(c) } else {
                        latest = Result { () throws(WardenError) in try store.latestCheckpoint() }
                    }
                    for w in waiters { w(latest) }
                }
            })
        case .failure(let error):
            // Nothing of these batches was written (the transaction rolled back).
            let fresh = try? store.state()
            return Committed(resync: .some(fresh), notify: {
                for p in items { p.done(.failure(error)) }
                for w in waiters { w(.failure(error)) }
            })
        }
    }
}
