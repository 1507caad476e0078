import Foundation
import WardenCore

/// Group commit: appenders enqueue and wait; one committer thread drains everything queued
/// into a single store transaction (one fsync), then wakes all of them. Under load the
/// batch grows, so throughput scales with concurrency while each append still returns only
/// after its record is durable. The thread also writes time-based checkpoints when idle.
///
/// A queued item is one caller's entries (one for `append`, many for `append(contentsOf:)`);
/// an item is never split across transactions, so a batch append is all or nothing.
final class GroupCommitter: @unchecked Sendable {
    typealias Completion = @Sendable (Result<[AppendedRecord], WardenError>) -> Void
    typealias CheckpointCompletion = @Sendable (Result<StoredCheckpoint?, WardenError>) -> Void

    private struct Pending {
        let entries: [EncodedEntry]
        let done: Completion
    }

    private let store: LedgerStore
    private let builder: BatchBuilder
    private let maxBatch: Int
    private let clock: @Sendable () -> Int64
    /// How long the committer waits for the callers of the previous batch to come back
    /// before committing a smaller batch (see `run`).
    private let gatherSeconds: Double

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [Pending] = []
    private var checkpointWaiters: [CheckpointCompletion] = []
    private var stopping = false
    private var stopped = false
    /// Last state seen by this process; only used to schedule time-based checkpoints.
    private var known: LedgerState
    /// Callers served by the previous commit.
    private var lastCallers = 0

    init(store: LedgerStore, builder: BatchBuilder, initial: LedgerState, maxBatch: Int = 4096,
         gatherMicroseconds: Int = 200, clock: @escaping @Sendable () -> Int64) {
        self.store = store
        self.builder = builder
        self.known = initial
        self.maxBatch = maxBatch
        self.gatherSeconds = Double(gatherMicroseconds) / 1e6
        self.clock = clock
        let thread = Thread { [self] in self.run() }
        thread.name = "warden-ledger-commit"
        thread.start()
    }

    /// Queues `entries` (already validated and encoded) for one transaction; `done` gets
    /// their records in order once that transaction is durable.
    func enqueue(_ entries: [EncodedEntry], done: @escaping Completion) {
        condition.lock()
        if stopping {
            condition.unlock()
            done(.failure(.usage("ledger.closed", "the ledger is closed")))
            return
        }
        queue.append(Pending(entries: entries, done: done))
        condition.signal()
        condition.unlock()
    }

    func requestCheckpoint(done: @escaping CheckpointCompletion) {
        condition.lock()
        if stopping {
            condition.unlock()
            done(.failure(.usage("ledger.closed", "the ledger is closed")))
            return
        }
        checkpointWaiters.append(done)
        condition.signal()
        condition.unlock()
    }

    /// Commits whatever is queued, then stops the thread. Blocks until it has exited.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !stopped { condition.wait() }
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && checkpointWaiters.isEmpty && !stopping {
                let pending = known.size - known.checkpointSize
                if pending > 0 {
                    let dueAt = known.pendingSinceMillis + builder.policy.everyMillis
                    let wait = Double(max(0, dueAt - clock())) / 1000
                    if wait <= 0 || !condition.wait(until: Date(timeIntervalSinceNow: wait)) { break }
                } else {
                    condition.wait()
                }
            }
            // Gather: the callers woken by the previous commit are usually about to append
            // again (concurrent appenders in a loop). Waiting a bounded moment for them keeps
            // them in one transaction instead of splitting them over two fsyncs. A lone
            // sequential caller (lastCallers 1) never waits; the wait is at most
            // `gatherSeconds` and ends as soon as they are all back.
            if !queue.isEmpty && queue.count < lastCallers && !stopping && gatherSeconds > 0 {
                let deadline = Date(timeIntervalSinceNow: gatherSeconds)
                while queue.count < lastCallers && !stopping && condition.wait(until: deadline) {}
            }
            if stopping && queue.isEmpty && checkpointWaiters.isEmpty {
                stopped = true
                condition.broadcast()
                condition.unlock()
                return
            }
            // Whole items only, at least one, up to `maxBatch` records.
            var take = 0
            var records = 0
            while take < queue.count && (take == 0 || records + queue[take].entries.count <= maxBatch) {
                records += queue[take].entries.count
                take += 1
            }
            let batch = Array(queue.prefix(take))
            queue.removeFirst(take)
            let waiters = checkpointWaiters
            checkpointWaiters = []
            lastCallers = take
            condition.unlock()
            commit(batch, checkpointWaiters: waiters)
        }
    }

    private func commit(_ batch: [Pending], checkpointWaiters waiters: [CheckpointCompletion]) {
        let builder = self.builder
        var entries: [EncodedEntry] = []
        entries.reserveCapacity(batch.reduce(0) { $0 + $1.entries.count })
        for p in batch { entries.append(contentsOf: p.entries) }
        let now = clock()
        let force = !waiters.isEmpty
        let result: Result<(BatchBuilder.Output, LedgerState), WardenError>
        do {
            result = .success(try store.commit { (state) throws(WardenError) in
                let (write, output) = try builder.build(entries: entries, on: state, now: now, forceCheckpoint: force)
                return (write, (output, write.state))
            })
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success(let (output, state)):
            condition.lock()
            known = state
            condition.unlock()
            var offset = 0
            for p in batch {
                let n = p.entries.count
                p.done(.success(Array(output.appended[offset..<(offset + n)])))
                offset += n
            }
            if !waiters.isEmpty {
                // A forced checkpoint with nothing new is not rewritten; report the stored one.
                let latest: Result<StoredCheckpoint?, WardenError>
                if let c = output.checkpoint { latest = .success(c) } else {
                    do { latest = .success(try store.latestCheckpoint()) } catch { latest = .failure(error) }
                }
                for w in waiters { w(latest) }
            }
        case .failure(let error):
            // Nothing of the batch was written (the transaction rolled back).
            if let fresh = try? store.state() {
                condition.lock()
                known = fresh
                condition.unlock()
            }
            for p in batch { p.done(.failure(error)) }
            for w in waiters { w(.failure(error)) }
        }
    }
}
