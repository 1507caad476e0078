import WardenCore

/// What a caller asks the ledger to record; the ledger adds seq, time, node, prev, kid, sig.
public struct LedgerEntry: Sendable, Equatable {
    public var event: String
    public var tenant: String
    public var actor: String
    public var subject: String
    public var decision: String?
    public var details: JSONValue

    /// Limits that keep one record small (the verifier refuses larger records).
    public static let maxDetailsBytes = 64 * 1024
    public static let maxFieldBytes = 1024

    public init(event: LedgerEvent, tenant: String, actor: String, subject: String, decision: String? = nil, details: JSONValue = [:]) {
        self.init(eventName: event.rawValue, tenant: tenant, actor: actor, subject: subject, decision: decision, details: details)
    }

    public init(eventName: String, tenant: String, actor: String, subject: String, decision: String? = nil, details: JSONValue = [:]) {
        self.event = eventName
        self.tenant = tenant
        self.actor = actor
        self.subject = subject
        self.decision = decision
        self.details = details
    }

    /// Throws a usage error naming the field when the entry cannot be recorded.
    public func validate() throws(WardenError) {
        _ = try validatedDetails()
    }

    /// Validates the entry and returns the canonical bytes of `details`.
    func validatedDetails() throws(WardenError) -> [UInt8] {
        guard !event.isEmpty else { throw .usage("ledger.entry_invalid", "ledger entry: event is empty") }
        for (name, value) in [("event", event), ("tenant", tenant), ("actor", actor), ("subject", subject), ("decision", decision ?? "")]
        where value.utf8.count > Self.maxFieldBytes {
            throw .usage("ledger.entry_invalid", "ledger entry: \(name) is longer than \(Self.maxFieldBytes) bytes")
        }
        guard case .object = details else {
            throw .usage("ledger.entry_invalid", "ledger entry: details must be a JSON object, not \(details.typeName)")
        }
        let encoded = CanonicalJSON.encode(details)
        guard encoded.count <= Self.maxDetailsBytes else {
            throw .usage("ledger.entry_invalid", "ledger entry: details are \(encoded.count) bytes; the limit is \(Self.maxDetailsBytes)")
        }
        return encoded
    }
}

/// The result of a durable append.
public struct AppendedRecord: Sendable, Equatable {
    public let seq: Int64
    /// SHA-256 of the record's canonical bytes (its Merkle leaf data).
    public let hash: [UInt8]
    public let time: Int64

    public var hashHex: String { Hex.encode(hash) }
}

/// When the appender writes checkpoints on its own: after `everyRecords` new records, or when
/// records have waited `everyMillis` since the last checkpoint. `warden audit checkpoint` (or
/// `Ledger.checkpoint()`) writes one on demand.
public struct CheckpointPolicy: Sendable, Equatable {
    public var everyRecords: Int64
    public var everyMillis: Int64

    public init(everyRecords: Int64 = 1000, everyMillis: Int64 = 5000) {
        self.everyRecords = max(1, everyRecords)
        self.everyMillis = max(1, everyMillis)
    }
}
