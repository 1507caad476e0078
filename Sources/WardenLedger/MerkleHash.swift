import Crypto

/// RFC 6962 / RFC 9162 §2.1 Merkle tree hashing: leaves are hashed as SHA-256(0x00 ‖ data),
/// interior nodes as SHA-256(0x01 ‖ left ‖ right). The distinct prefixes keep a leaf from
/// ever being passed off as an interior node (second-preimage resistance).
public enum MerkleHash {
    /// SHA-256 of the empty string: the root of the empty tree.
    public static let emptyRoot: [UInt8] = Array(SHA256.hash(data: [UInt8]()))

    /// The leaf hash of `data`.
    public static func leaf(_ data: [UInt8]) -> [UInt8] {
        var h = SHA256()
        h.update(data: [0x00])
        h.update(data: data)
        return Array(h.finalize())
    }

    /// The interior node hash of two children.
    public static func node(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var h = SHA256()
        h.update(data: [0x01])
        h.update(data: left)
        h.update(data: right)
        return Array(h.finalize())
    }

    /// The largest power of two strictly smaller than `n` (n ≥ 2): the RFC's split point `k`.
    static func split(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// MTH(D[n]) over leaf hashes (already leaf-prefixed), RFC 9162 §2.1.1.
    public static func root(leafHashes: ArraySlice<[UInt8]>) -> [UInt8] {
        switch leafHashes.count {
        case 0: return emptyRoot
        case 1: return leafHashes[leafHashes.startIndex]
        default:
            let k = split(leafHashes.count)
            let mid = leafHashes.startIndex + k
            return node(root(leafHashes: leafHashes[..<mid]), root(leafHashes: leafHashes[mid...]))
        }
    }

    /// PATH(m, D[n]): the inclusion proof of leaf `index` (RFC 9162 §2.1.3.1).
    public static func inclusionProof(index: Int, leafHashes: ArraySlice<[UInt8]>) -> [[UInt8]] {
        let n = leafHashes.count
        guard n > 1, index >= 0, index < n else { return [] }
        let k = split(n)
        let mid = leafHashes.startIndex + k
        if index < k {
            return inclusionProof(index: index, leafHashes: leafHashes[..<mid]) + [root(leafHashes: leafHashes[mid...])]
        }
        return inclusionProof(index: index - k, leafHashes: leafHashes[mid...]) + [root(leafHashes: leafHashes[..<mid])]
    }

    /// PROOF(m, D[n]): the consistency proof between the first `m` leaves and all of them
    /// (RFC 9162 §2.1.4.1). Empty when m is 0 or m equals n.
    public static func consistencyProof(oldSize m: Int, leafHashes: ArraySlice<[UInt8]>) -> [[UInt8]] {
        guard m > 0, m < leafHashes.count else { return [] }
        return subproof(m, leafHashes, true)
    }

    private static func subproof(_ m: Int, _ d: ArraySlice<[UInt8]>, _ complete: Bool) -> [[UInt8]] {
        let n = d.count
        if m == n { return complete ? [] : [root(leafHashes: d)] }
        let k = split(n)
        let mid = d.startIndex + k
        if m <= k {
            return subproof(m, d[..<mid], complete) + [root(leafHashes: d[mid...])]
        }
        return subproof(m - k, d[mid...], false) + [root(leafHashes: d[..<mid])]
    }

    /// Verifies an inclusion proof (RFC 9162 §2.1.3.2).
    public static func verifyInclusion(leafHash: [UInt8], index: UInt64, treeSize: UInt64, proof: [[UInt8]], root: [UInt8]) -> Bool {
        guard index < treeSize else { return false }
        var fn = index
        var sn = treeSize - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                r = node(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = node(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// Verifies a consistency proof between two tree heads (RFC 9162 §2.1.4.2), including the
    /// trivial cases (old size 0, or equal sizes with an empty proof).
    public static func verifyConsistency(oldSize: UInt64, oldRoot: [UInt8], newSize: UInt64, newRoot: [UInt8], proof: [[UInt8]]) -> Bool {
        if oldSize > newSize { return false }
        if oldSize == newSize { return proof.isEmpty && oldRoot == newRoot }
        if oldSize == 0 { return proof.isEmpty }
        guard !proof.isEmpty else { return false }
        var path = proof
        if oldSize & (oldSize - 1) == 0 { path.insert(oldRoot, at: 0) }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = node(c, fr)
                sr = node(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = node(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return fr == oldRoot && sr == newRoot && sn == 0
    }
}
