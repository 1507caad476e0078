import Dispatch
import Foundation
import WardenCore

/// The audit ledger of one node: appends signed, hash-chained records with group commit and
/// writes signed checkpoints (every N records, every T ms, and on demand).
///
/// The pipeline calls:
///
///     let ledger = try await Ledger.open(store: SQLiteLedgerStore(database: db), signer: runnerKey, node: "node-1")
///     let r = try await ledger.append(event: .decision, tenant: "acme", actor: "cli:alice",
///                                     subject: "hello@1.0.0", decision: "allow", details: ["reasons": []])
///     // r.seq, r.hash: the record is durable when append returns.
///     ledger.close()
public final class Ledger: Sendable {
    public let node: String
    public let origin: String
    public let store: LedgerStore
    public let kid: String
    private let committer: GroupCommitter

    /// Node names appear in checkpoint origins: letters, digits, `.`, `-`, `_`; 1–64 bytes.
    public static func validateNode(_ node: String) throws(WardenError) {
        let ok = !node.isEmpty && node.utf8.count <= 64
            && node.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2E || c == 0x2D || c == 0x5F
            }
        guard ok else {
            throw .usage("ledger.bad_node", "node name \"\(node.prefix(70))\" must be 1-64 characters of A-Z a-z 0-9 . - _")
        }
    }

    /// Milliseconds since the Unix epoch.
    public static func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// Opens the ledger for appending without writing anything.
    public init(store: LedgerStore, signer: RecordSigner, node: String, policy: CheckpointPolicy = CheckpointPolicy(),
                clock: @escaping @Sendable () -> Int64 = Ledger.nowMillis) throws(WardenError) {
        try Ledger.validateNode(node)
        self.node = node
        self.origin = Checkpoint.origin(node: node)
        self.store = store
        self.kid = signer.kid
        let builder = BatchBuilder(signer: signer, node: node, origin: origin, policy: policy)
        committer = GroupCommitter(store: store, builder: builder, initial: try store.state(), clock: clock)
    }

    /// Opens the ledger and records that this node opened it (`ledger.opened`).
    public static func open(store: LedgerStore, signer: RecordSigner, node: String, policy: CheckpointPolicy = CheckpointPolicy(),
                            actor: String = "warden") async throws(WardenError) -> Ledger {
        let ledger = try Ledger(store: store, signer: signer, node: node, policy: policy)
        let size = try store.state().size
        _ = try await ledger.append(LedgerEntry(
            event: .ledgerOpened, tenant: "", actor: actor, subject: "ledger",
            details: ["pid": .int(Int64(getpid())), "size_at_open": .int(size)]))
        return ledger
    }

    deinit { committer.stop() }

    /// Appends one record; returns once it is durable. Concurrent calls share a transaction.
    public func append(_ entry: LedgerEntry) async throws(WardenError) -> AppendedRecord {
        try await append(contentsOf: [entry])[0]
    }

    /// Appends `entries` in order, in one transaction (one fsync), with contiguous seqs;
    /// returns their records once that transaction is durable. All or nothing: if any entry
    /// is invalid nothing is queued, and if the commit fails none of them is written.
    /// Use it to record several events of one operation (e.g. a run) with a single commit.
    public func append(contentsOf entries: [LedgerEntry]) async throws(WardenError) -> [AppendedRecord] {
        let encoded = try encode(entries)
        if encoded.isEmpty { return [] }
        let result: Result<[AppendedRecord], WardenError> = await withCheckedContinuation { cont in
            committer.enqueue(encoded) { cont.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Validates and encodes on the caller's thread, off the committer's sequential path.
    private func encode(_ entries: [LedgerEntry]) throws(WardenError) -> [EncodedEntry] {
        var out: [EncodedEntry] = []
        out.reserveCapacity(entries.count)
        for e in entries { out.append(try e.encoded(kid: kid, node: node)) }
        return out
    }

    /// Appends one record of kind `event`; returns once it is durable.
    public func append(event: LedgerEvent, tenant: String, actor: String, subject: String, decision: String? = nil,
                       details: JSONValue = [:]) async throws(WardenError) -> AppendedRecord {
        try await append(LedgerEntry(event: event, tenant: tenant, actor: actor, subject: subject, decision: decision, details: details))
    }

    /// Blocking variant for synchronous callers (not from a Swift concurrency thread).
    public func appendBlocking(_ entry: LedgerEntry) throws(WardenError) -> AppendedRecord {
        try appendBlocking(contentsOf: [entry])[0]
    }

    /// Blocking variant of `append(contentsOf:)` (one transaction, all or nothing).
    public func appendBlocking(contentsOf entries: [LedgerEntry]) throws(WardenError) -> [AppendedRecord] {
        let encoded = try encode(entries)
        if encoded.isEmpty { return [] }
        let box = ResultBox<[AppendedRecord]>()
        committer.enqueue(encoded) { box.set($0) }
        return try box.wait()
    }

    /// Signs and stores a checkpoint of the current tree now (or returns the latest one when
    /// nothing was appended since).
    public func checkpoint() async throws(WardenError) -> SignedCheckpoint {
        let result: Result<StoredCheckpoint?, WardenError> = await withCheckedContinuation { cont in
            committer.requestCheckpoint { cont.resume(returning: $0) }
        }
        guard let stored = try result.get() else {
            throw .usage("ledger.no_checkpoint", "no checkpoint could be written")
        }
        return try SignedCheckpoint.parse(stored.note, source: "checkpoint \(stored.size)")
    }

    /// The latest stored checkpoint, if any.
    public func latestCheckpoint() throws(WardenError) -> SignedCheckpoint? {
        guard let stored = try store.latestCheckpoint() else { return nil }
        return try SignedCheckpoint.parse(stored.note, source: "checkpoint \(stored.size)")
    }

    /// Where this ledger's group commits have spent their time since it was opened.
    public func commitStatistics() -> LedgerCommitStatistics { committer.commitStatistics() }

    /// Commits everything queued and stops the committer. Later appends fail.
    public func close() { committer.stop() }
}

/// A one-shot result slot for the blocking API.
final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private var value: Result<T, WardenError>?

    func set(_ v: Result<T, WardenError>) {
        value = v
        semaphore.signal()
    }

    func wait() throws(WardenError) -> T {
        semaphore.wait()
        guard let value else { throw .usage("ledger.internal", "no result") }
        return try value.get()
    }
}
