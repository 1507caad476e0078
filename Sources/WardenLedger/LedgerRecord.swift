import Crypto
import WardenCore

/// One audit record. Its canonical JSON (sorted keys, no whitespace; `CanonicalJSON`) is
/// what is signed, hashed, stored and exported:
///
/// `{"actor","decision","details","event","kid","node","prev","seq","sig","subject","tenant","time"}`
///
/// - `sig` is Ed25519 by the key `kid` over the canonical bytes of the record *without* `sig`
///   (base64url, 64 bytes).
/// - `hash` = SHA-256(canonical bytes *with* `sig`); `prev` is the previous record's hash
///   (lowercase hex; 64 zeros for seq 0). The hash is the leaf data of the Merkle tree.
/// - `time` is integer milliseconds since the Unix epoch (Warden JSON is integer-only).
public struct LedgerRecord: Sendable, Equatable {
    public let seq: Int64
    public let time: Int64
    public let node: String
    public let tenant: String
    public let actor: String
    public let event: String
    public let subject: String
    /// `allow`, `deny`, `approval_required`, ... or nil when the event carries no decision.
    public let decision: String?
    /// Event-specific JSON object (see `LedgerEvent`).
    public let details: JSONValue
    public let prev: String
    public let kid: String
    public let sig: String

    /// The `prev` of the first record.
    public static let genesisPrev = String(repeating: "0", count: 64)

    /// The exact set of members a record has.
    static let fieldNames: Set<String> = [
        "seq", "time", "node", "tenant", "actor", "event", "subject", "decision", "details", "prev", "kid", "sig",
    ]

    public init(seq: Int64, time: Int64, node: String, tenant: String, actor: String, event: String, subject: String,
                decision: String?, details: JSONValue, prev: String, kid: String, sig: String) {
        self.seq = seq
        self.time = time
        self.node = node
        self.tenant = tenant
        self.actor = actor
        self.event = event
        self.subject = subject
        self.decision = decision
        self.details = details
        self.prev = prev
        self.kid = kid
        self.sig = sig
    }

    /// The record as JSON without `sig`: the signed content.
    public var unsignedJSON: JSONValue {
        .object([
            "seq": .int(seq), "time": .int(time), "node": .string(node), "tenant": .string(tenant),
            "actor": .string(actor), "event": .string(event), "subject": .string(subject),
            "decision": decision.map { .string($0) } ?? .null, "details": details, "prev": .string(prev),
            "kid": .string(kid),
        ])
    }

    /// The full record as JSON, including `sig`.
    public var json: JSONValue {
        guard case .object(var members) = unsignedJSON else { return unsignedJSON }
        members["sig"] = .string(sig)
        return .object(members)
    }

    /// Canonical bytes of the full record (what is stored and exported).
    public var canonicalBytes: [UInt8] { signedBytes(parts: canonicalParts) }

    /// Canonical bytes without `sig`: the message the signature covers.
    public var unsignedBytes: [UInt8] { canonicalParts.head + canonicalParts.tail }

    /// The canonical encoding split around the `sig` member. The top-level keys are fixed and
    /// written in their RFC 8785 order (actor, decision, details, event, kid, node, prev, seq,
    /// sig, subject, tenant, time), so the unsigned and signed forms are `head + tail` and
    /// `head + ,"sig":… + tail` without sorting or re-encoding (a test checks this equals
    /// `CanonicalJSON.encode(json)`).
    var canonicalParts: (head: [UInt8], tail: [UInt8]) {
        let entry = RecordEncoding.entry(actor: actor, decision: decision, details: CanonicalJSON.encode(details), event: event,
                                         kid: kid, node: node, subject: subject, tenant: tenant)
        var prevJSON: [UInt8] = []
        RecordEncoding.writeString(prev, into: &prevJSON)
        return RecordEncoding.parts(entry, prevJSON: prevJSON, seq: seq, time: time)
    }

    func signedBytes(parts: (head: [UInt8], tail: [UInt8])) -> [UInt8] {
        RecordEncoding.signed(head: parts.head, sig: sig, tail: parts.tail)
    }

    /// SHA-256 of `bytes` (the canonical bytes of a signed record).
    public static func hash(of bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }
}

/// Parsing a stored or exported record: strict, exact member set, canonical bytes only.
extension LedgerRecord {
    /// Largest record accepted by the parser (details are capped by the appender too).
    public static let maxBytes = 256 * 1024

    /// Parses canonical record bytes. Throws a message naming the field and the rule; the
    /// caller adds the seq.
    public static func parse(_ bytes: [UInt8]) throws(WardenError) -> LedgerRecord {
        try parseWithMessage(bytes).record
    }

    /// Parses canonical record bytes and also returns the signed message (the canonical
    /// bytes without `sig`), derived from the same checked encoding.
    public static func parseWithMessage(_ bytes: [UInt8]) throws(WardenError) -> (record: LedgerRecord, message: [UInt8]) {
        let value = try StrictJSONParser.parse(bytes, limits: .init(maxDepth: 32, maxBytes: maxBytes))
        guard case .object(let m) = value else {
            throw .denied("ledger.record_malformed", "record is a JSON \(value.typeName), not an object")
        }
        let keys = Set(m.keys)
        if keys != fieldNames {
            let extra = keys.subtracting(fieldNames).sorted()
            let missing = fieldNames.subtracting(keys).sorted()
            throw .denied("ledger.record_malformed", "record members wrong: missing \(missing), unexpected \(extra)")
        }
        func str(_ k: String) throws(WardenError) -> String {
            guard case .string(let s)? = m[k] else { throw .denied("ledger.record_malformed", "field \(k): expected a string") }
            return s
        }
        func int(_ k: String) throws(WardenError) -> Int64 {
            guard case .int(let i)? = m[k] else { throw .denied("ledger.record_malformed", "field \(k): expected an integer") }
            return i
        }
        let decision: String?
        switch m["decision"] {
        case .string(let s)?: decision = s
        case .null?: decision = nil
        default: throw .denied("ledger.record_malformed", "field decision: expected a string or null")
        }
        guard case .object? = m["details"], let details = m["details"] else {
            throw .denied("ledger.record_malformed", "field details: expected an object")
        }
        let record = LedgerRecord(
            seq: try int("seq"), time: try int("time"), node: try str("node"), tenant: try str("tenant"),
            actor: try str("actor"), event: try str("event"), subject: try str("subject"), decision: decision,
            details: details, prev: try str("prev"), kid: try str("kid"), sig: try str("sig"))
        guard record.prev.utf8.count == 64, Hex.decode(record.prev) != nil else {
            throw .denied("ledger.record_malformed", "field prev: expected 64 lowercase hex digits")
        }
        guard let sig = Base64URL.decode(record.sig), sig.count == 64 else {
            throw .denied("ledger.record_malformed", "field sig: expected base64url of a 64-byte Ed25519 signature")
        }
        // One byte spelling per record: anything but the canonical form is rejected, so a
        // reformatted (whitespace, key order, escapes) record cannot keep a valid hash chain
        // while looking different.
        guard CanonicalJSON.encode(value) == bytes else {
            throw .denied("ledger.record_not_canonical", "record bytes are not in canonical JSON form")
        }
        // The signed message is these bytes minus the `,"sig":"…"` member. Its last occurrence
        // is the top-level one: only subject, tenant (strings, whose quotes are escaped) and
        // time (an integer) follow it, so the pattern cannot occur later.
        let member = Array(",\"sig\":\"".utf8) + Array(record.sig.utf8) + [0x22]
        var start = bytes.count - member.count
        while start >= 0 && !bytes[start..<(start + member.count)].elementsEqual(member) { start -= 1 }
        guard start > 0 else {
            throw .denied("ledger.record_not_canonical", "record has no top-level sig member")
        }
        return (record, Array(bytes[..<start]) + bytes[(start + member.count)...])
    }

    /// The signature bytes (validated by `parse`).
    public var signatureBytes: [UInt8] { Base64URL.decode(sig) ?? [] }
}
