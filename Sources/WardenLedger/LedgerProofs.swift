import WardenCore

/// An inclusion proof of one record in a checkpointed tree (RFC 9162 §2.1.3).
public struct InclusionProof: Sendable {
    public let seq: Int64
    /// SHA-256 of the record's canonical bytes (the leaf data).
    public let recordHash: [UInt8]
    public let treeSize: Int64
    public let path: [[UInt8]]
    public let checkpoint: SignedCheckpoint

    /// Checks the proof against the checkpoint's root.
    public var verifies: Bool {
        MerkleHash.verifyInclusion(leafHash: MerkleHash.leaf(recordHash), index: UInt64(seq), treeSize: UInt64(treeSize),
                                   proof: path, root: checkpoint.checkpoint.root)
    }

    public var json: JSONValue {
        ["seq": .int(seq), "record_hash": .string(Hex.encode(recordHash)), "leaf_hash": .string(Hex.encode(MerkleHash.leaf(recordHash))),
         "tree_size": .int(treeSize), "root": .string(Hex.encode(checkpoint.checkpoint.root)),
         "path": .array(path.map { .string(Hex.encode($0)) }), "checkpoint": .string(checkpoint.note)]
    }
}

/// Builds proofs from a store's record hashes. O(n) hashing per proof; fine for CLI use.
public enum LedgerProofs {
    /// The inclusion proof of `seq` in `checkpoint`. Fails (denied) when the stored ledger
    /// does not reproduce the checkpoint's root.
    public static func inclusion(store: LedgerStore, seq: Int64, checkpoint: SignedCheckpoint) throws(WardenError) -> InclusionProof {
        let size = Int64(checkpoint.checkpoint.size)
        guard seq >= 0, seq < size else {
            throw .notFound("ledger.seq_not_covered", "seq \(seq) is not covered by the checkpoint of size \(size); run `warden audit checkpoint` first")
        }
        let hashes = try store.recordHashes(count: size)
        guard hashes.count == Int(size) else {
            throw .denied("ledger.truncated", "the checkpoint covers \(size) records but the store has \(hashes.count)")
        }
        let leaves = ArraySlice(hashes.map(MerkleHash.leaf))
        let proof = InclusionProof(seq: seq, recordHash: hashes[Int(seq)], treeSize: size,
                                   path: MerkleHash.inclusionProof(index: Int(seq), leafHashes: leaves), checkpoint: checkpoint)
        guard proof.verifies else {
            throw .denied("ledger.checkpoint_mismatch", "stored records do not reproduce the root of the checkpoint of size \(size); run `warden audit verify`")
        }
        return proof
    }

    /// The consistency proof between two tree sizes of the stored ledger.
    public static func consistency(store: LedgerStore, oldSize: Int64, newSize: Int64) throws(WardenError) -> [[UInt8]] {
        guard oldSize >= 0, oldSize <= newSize else {
            throw .usage("ledger.bad_range", "consistency needs 0 <= old size (\(oldSize)) <= new size (\(newSize))")
        }
        let hashes = try store.recordHashes(count: newSize)
        guard hashes.count == Int(newSize) else {
            throw .notFound("ledger.seq_not_covered", "the ledger has \(hashes.count) records, fewer than \(newSize)")
        }
        return MerkleHash.consistencyProof(oldSize: Int(oldSize), leafHashes: ArraySlice(hashes.map(MerkleHash.leaf)))
    }
}
