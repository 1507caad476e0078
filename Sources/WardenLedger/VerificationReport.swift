import WardenCore

/// What is wrong, and where: the first bad record (or checkpoint) found.
public struct VerificationFailure: Sendable, Equatable, CustomStringConvertible {
    /// The first bad seq, when the failure is attributable to a record position.
    public let seq: Int64?
    /// Stable code, e.g. `ledger.bad_signature`, `ledger.chain_broken`, `ledger.truncated`.
    public let code: String
    public let message: String

    public init(seq: Int64?, code: String, message: String) {
        self.seq = seq
        self.code = code
        self.message = message
    }

    public var description: String {
        (seq.map { "seq \($0): " } ?? "") + message + " [\(code)]"
    }
}

/// The outcome of verifying a ledger.
public struct VerificationReport: Sendable {
    public var records: Int64 = 0
    public var checkpointsVerified = 0
    public var latestCheckpointSize: Int64?
    /// RFC 6962 root over all records seen.
    public var root: [UInt8] = MerkleHash.emptyRoot
    public var failure: VerificationFailure?
    /// Wall seconds spent on reading, parsing, chain, Merkle and checkpoints (parsing and
    /// hashing run on all cores).
    public var chainSeconds: Double = 0
    /// Wall seconds spent verifying per-record Ed25519 signatures (parallel).
    public var signatureSeconds: Double = 0
    /// Process CPU seconds (user + system, all threads) of the signature phases; the rest of
    /// the process CPU went to the chain phases. Unlike wall time this barely depends on
    /// what else the machine is running.
    public var signatureCPUSeconds: Double = 0
    public var signatureThreads = 1

    public var ok: Bool { failure == nil }

    public init() {}

    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "ok": .bool(ok), "records": .int(records), "checkpoints_verified": .int(Int64(checkpointsVerified)),
            "root": .string(Hex.encode(root)),
            "latest_checkpoint_size": latestCheckpointSize.map { .int($0) } ?? .null,
            "chain_ms": .int(Int64(chainSeconds * 1000)), "signature_ms": .int(Int64(signatureSeconds * 1000)),
        ]
        if let f = failure {
            o["failure"] = .object(["seq": f.seq.map { .int($0) } ?? .null, "code": .string(f.code), "message": .string(f.message)])
        }
        return .object(o)
    }
}
