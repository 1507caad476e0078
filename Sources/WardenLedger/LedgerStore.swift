import WardenCore

/// What the appender needs to continue the chain, read and written inside every commit so
/// that several processes appending to one store serialize correctly.
public struct LedgerState: Sendable, Equatable {
    /// Number of records; the next record's seq.
    public var size: Int64
    /// Hash of the last record (32 zero bytes before the first).
    public var lastHash: [UInt8]
    /// Merkle tree right edge over all records.
    public var frontier: MerkleFrontier
    /// Tree size of the latest checkpoint (0 when none yet).
    public var checkpointSize: Int64
    /// Wall-clock milliseconds when the oldest record not yet covered by a checkpoint was
    /// appended (0 when every record is covered): the time trigger counts from here.
    public var pendingSinceMillis: Int64

    public static let genesis = LedgerState(
        size: 0, lastHash: [UInt8](repeating: 0, count: 32), frontier: MerkleFrontier(), checkpointSize: 0, pendingSinceMillis: 0)

    public init(size: Int64, lastHash: [UInt8], frontier: MerkleFrontier, checkpointSize: Int64, pendingSinceMillis: Int64) {
        self.size = size
        self.lastHash = lastHash
        self.frontier = frontier
        self.checkpointSize = checkpointSize
        self.pendingSinceMillis = pendingSinceMillis
    }
}

/// A record as stored: its seq, its hash, and its canonical bytes.
public struct StoredRecord: Sendable, Equatable {
    public let seq: Int64
    public let hash: [UInt8]
    public let bytes: [UInt8]

    public init(seq: Int64, hash: [UInt8], bytes: [UInt8]) {
        self.seq = seq
        self.hash = hash
        self.bytes = bytes
    }
}

/// A stored signed checkpoint.
public struct StoredCheckpoint: Sendable, Equatable {
    public let size: Int64
    public let note: String
    public let createdMillis: Int64

    public init(size: Int64, note: String, createdMillis: Int64) {
        self.size = size
        self.note = note
        self.createdMillis = createdMillis
    }
}

/// The rows one commit adds, and the state after it.
public struct LedgerWrite: Sendable {
    public var records: [StoredRecord]
    /// Checkpoints to store, by increasing size (one commit can carry several group-commit
    /// batches, each of which may end with a checkpoint).
    public var checkpoints: [StoredCheckpoint]
    public var state: LedgerState

    public init(records: [StoredRecord], checkpoints: [StoredCheckpoint], state: LedgerState) {
        self.records = records
        self.checkpoints = checkpoints
        self.state = state
    }
}

/// Durable, append-only storage for a ledger. SQLite (GRDB) today; the protocol is small so a
/// PostgreSQL store can follow. Implementations must make `commit` atomic and durable (one
/// transaction, synced before returning) and must serialize concurrent committers, including
/// other processes, by reading the state inside the transaction.
public protocol LedgerStore: Sendable {
    /// The current state (genesis for an empty ledger).
    func state() throws(WardenError) -> LedgerState

    /// In one durable transaction: reads the state, calls `body` with it, and writes the
    /// records, checkpoint and new state it returns. Returns `body`'s result.
    func commit<T: Sendable>(_ body: (LedgerState) throws(WardenError) -> (LedgerWrite, T)) throws(WardenError) -> T

    /// Records with `seq >= from`, in seq order, at most `limit`.
    func records(from: Int64, limit: Int) throws(WardenError) -> [StoredRecord]

    /// Streams every record with `seq >= from` in seq order; `body` returns false to stop.
    func forEachRecord(from: Int64, _ body: (StoredRecord) throws(WardenError) -> Bool) throws(WardenError)

    /// The stored record hashes of seq 0..<count (for proofs).
    func recordHashes(count: Int64) throws(WardenError) -> [[UInt8]]

    /// Every checkpoint, by increasing size.
    func checkpoints() throws(WardenError) -> [StoredCheckpoint]

    /// The checkpoint with the largest size, if any.
    func latestCheckpoint() throws(WardenError) -> StoredCheckpoint?
}
