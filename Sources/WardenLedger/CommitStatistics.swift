/// Where a ledger's group commits spend their time, summed since the ledger was opened
/// (`Ledger.commitStatistics`). The benchmark prints it per workload, so a throughput figure
/// comes with its breakdown: how many records each transaction carried, how long signing
/// them took (sequential: each `prev` covers the previous record's signature), how long the
/// store's durable transaction took (its `fdatasync` included), and how long the writer
/// waited between handing one commit's results back and starting the next (the callers
/// coming back with their next append, and signing what the writer signs inline).
public struct LedgerCommitStatistics: Sendable, Equatable {
    /// Store transactions that succeeded or failed.
    public var commits = 0
    /// Records in those transactions.
    public var records = 0
    /// Batches signed (a commit carries one or more).
    public var builds = 0
    public var signNanos: UInt64 = 0
    public var commitNanos: UInt64 = 0
    /// From the end of one commit's notifications to the start of the next commit.
    public var betweenNanos: UInt64 = 0
    /// Waking the callers of a commit (resuming their continuations).
    public var notifyNanos: UInt64 = 0

    public init() {}

    /// Per-commit means in microseconds (0 when nothing was committed).
    public var recordsPerCommit: Double { commits == 0 ? 0 : Double(records) / Double(commits) }
    public var signMicrosPerCommit: Double { perCommit(signNanos) }
    public var commitMicros: Double { perCommit(commitNanos) }
    public var betweenMicros: Double { perCommit(betweenNanos) }
    public var notifyMicros: Double { perCommit(notifyNanos) }

    private func perCommit(_ nanos: UInt64) -> Double { commits == 0 ? 0 : Double(nanos) / Double(commits) / 1000 }
}
