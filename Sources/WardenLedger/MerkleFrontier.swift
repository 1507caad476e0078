/// The right edge of an append-only Merkle tree: the roots of its perfect subtrees, largest
/// first (one per set bit of `size`). Appending a leaf and computing the RFC 6962 root both
/// cost O(log n), so the ledger never rehashes history to sign a checkpoint.
public struct MerkleFrontier: Sendable, Equatable {
    public private(set) var size: UInt64 = 0
    /// Perfect-subtree roots, left to right (decreasing size).
    public private(set) var peaks: [[UInt8]] = []

    public init() {}

    /// Appends a leaf given its leaf hash (`MerkleHash.leaf`).
    public mutating func append(leafHash: [UInt8]) {
        var h = leafHash
        var s = size
        while s & 1 == 1, let left = peaks.popLast() {
            h = MerkleHash.node(left, h)
            s >>= 1
        }
        peaks.append(h)
        size += 1
    }

    /// The RFC 6962 root of the tree so far.
    public var root: [UInt8] {
        guard var acc = peaks.last else { return MerkleHash.emptyRoot }
        for p in peaks.dropLast().reversed() { acc = MerkleHash.node(p, acc) }
        return acc
    }

    /// Serialized form for storage: 8-byte big-endian size followed by the peaks.
    public var serialized: [UInt8] {
        var out: [UInt8] = (0..<8).map { UInt8(truncatingIfNeeded: size >> (56 - 8 * UInt64($0))) }
        for p in peaks { out += p }
        return out
    }

    /// Parses `serialized`; nil when the peak count does not match the size's set bits.
    public init?(serialized bytes: [UInt8]) {
        guard bytes.count >= 8, (bytes.count - 8) % 32 == 0 else { return nil }
        var s: UInt64 = 0
        for b in bytes.prefix(8) { s = s << 8 | UInt64(b) }
        let count = (bytes.count - 8) / 32
        guard count == s.nonzeroBitCount else { return nil }
        size = s
        peaks = (0..<count).map { Array(bytes[(8 + 32 * $0)..<(8 + 32 * ($0 + 1))]) }
    }
}
