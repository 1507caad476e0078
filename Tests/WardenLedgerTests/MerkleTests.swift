import Foundation
import Testing
import WardenTestSupport
import WardenCore
@testable import WardenLedger

/// RFC 6962 / 9162 vectors. Inputs are the Certificate Transparency reference test leaves;
/// expected roots and proofs are the published values, cross-checked below against an
/// independent Python implementation of the RFC's definitions.
@Suite struct MerkleTests {
    static let leaves: [[UInt8]] = [
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
    ].map { Hex.decode($0) ?? [] }

    static let roots = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    static func leafHashes(_ n: Int) -> ArraySlice<[UInt8]> { ArraySlice(leaves.prefix(n).map(MerkleHash.leaf)) }

    @Test func rootsOfEmptyAndOneToEightLeaves() {
        for n in 0...8 {
            #expect(Hex.encode(MerkleHash.root(leafHashes: Self.leafHashes(n))) == Self.roots[n], "size \(n)")
            var f = MerkleFrontier()
            for h in Self.leafHashes(n) { f.append(leafHash: h) }
            #expect(Hex.encode(f.root) == Self.roots[n], "frontier size \(n)")
        }
    }

    @Test func knownInclusionProofs() {
        let cases: [(index: Int, size: Int, path: [String])] = [
            (0, 1, []),
            (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
            (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
            (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
            (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
        ]
        for c in cases {
            let hashes = Self.leafHashes(c.size)
            let proof = MerkleHash.inclusionProof(index: c.index, leafHashes: hashes)
            #expect(proof.map(Hex.encode) == c.path, "leaf \(c.index) of \(c.size)")
            let root = Hex.decode(Self.roots[c.size]) ?? []
            #expect(MerkleHash.verifyInclusion(leafHash: hashes[c.index], index: UInt64(c.index), treeSize: UInt64(c.size), proof: proof, root: root))
        }
    }

    @Test func knownConsistencyProofs() {
        let cases: [(old: Int, new: Int, path: [String])] = [
            (1, 1, []),
            (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
            (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
            (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
        ]
        for c in cases {
            let proof = MerkleHash.consistencyProof(oldSize: c.old, leafHashes: Self.leafHashes(c.new))
            #expect(proof.map(Hex.encode) == c.path, "\(c.old) -> \(c.new)")
            let oldRoot = Hex.decode(Self.roots[c.old]) ?? []
            let newRoot = Hex.decode(Self.roots[c.new]) ?? []
            #expect(MerkleHash.verifyConsistency(oldSize: UInt64(c.old), oldRoot: oldRoot, newSize: UInt64(c.new), newRoot: newRoot, proof: proof))
            // A wrong old root (the allowed case above, attacked) must fail.
            if c.old != c.new {
                #expect(!MerkleHash.verifyConsistency(oldSize: UInt64(c.old), oldRoot: newRoot, newSize: UInt64(c.new), newRoot: newRoot, proof: proof))
            }
        }
    }

    /// Every inclusion and consistency proof for trees up to 33 leaves verifies, and every
    /// single-bit corruption of a proof, leaf, index or size is rejected.
    @Test func allProofsVerifyAndCorruptionsFail() {
        let hashes = (0..<33).map { MerkleHash.leaf([UInt8(truncatingIfNeeded: $0), 0xAB]) }
        for n in 1...33 {
            let slice = ArraySlice(hashes.prefix(n))
            let root = MerkleHash.root(leafHashes: slice)
            for i in 0..<n {
                let proof = MerkleHash.inclusionProof(index: i, leafHashes: slice)
                #expect(MerkleHash.verifyInclusion(leafHash: slice[i], index: UInt64(i), treeSize: UInt64(n), proof: proof, root: root))
                #expect(!MerkleHash.verifyInclusion(leafHash: slice[i], index: UInt64((i + 1) % max(n, 2)) , treeSize: UInt64(n), proof: proof, root: root) || n == 1)
                if !proof.isEmpty {
                    var bad = proof
                    bad[0][0] ^= 1
                    #expect(!MerkleHash.verifyInclusion(leafHash: slice[i], index: UInt64(i), treeSize: UInt64(n), proof: bad, root: root))
                    #expect(!MerkleHash.verifyInclusion(leafHash: slice[i], index: UInt64(i), treeSize: UInt64(n), proof: Array(proof.dropLast()), root: root))
                }
            }
            for m in 0...n {
                let oldRoot = MerkleHash.root(leafHashes: slice.prefix(m))
                let proof = MerkleHash.consistencyProof(oldSize: m, leafHashes: slice)
                #expect(MerkleHash.verifyConsistency(oldSize: UInt64(m), oldRoot: oldRoot, newSize: UInt64(n), newRoot: root, proof: proof), "\(m)->\(n)")
                if m > 0 && m < n {
                    var bad = proof
                    bad[bad.count - 1][5] ^= 0x10
                    #expect(!MerkleHash.verifyConsistency(oldSize: UInt64(m), oldRoot: oldRoot, newSize: UInt64(n), newRoot: root, proof: bad))
                    var otherOld = oldRoot
                    otherOld[0] ^= 1
                    #expect(!MerkleHash.verifyConsistency(oldSize: UInt64(m), oldRoot: otherOld, newSize: UInt64(n), newRoot: root, proof: proof))
                }
            }
        }
    }

    @Test func frontierMatchesRecursiveRootAndRoundTrips() {
        var f = MerkleFrontier()
        var hashes: [[UInt8]] = []
        for i in 0..<300 {
            let h = MerkleHash.leaf([UInt8(i & 0xFF), UInt8(i >> 8)])
            hashes.append(h)
            f.append(leafHash: h)
            #expect(f.root == MerkleHash.root(leafHashes: ArraySlice(hashes)))
            #expect(MerkleFrontier(serialized: f.serialized) == f)
        }
        var broken = f.serialized
        broken.removeLast(32)
        #expect(MerkleFrontier(serialized: broken) == nil)
    }

    /// An independent implementation (Python, straight from the RFC's recursive definitions)
    /// must agree on roots and proofs for trees of 1..20 leaves.
    @Test func agreesWithIndependentPythonImplementation() throws {
        let script = #"""
        import hashlib, json
        def H(b): return hashlib.sha256(b).digest()
        def leaf(d): return H(b"\x00" + d)
        def k_of(n):
            k = 1
            while k * 2 < n: k *= 2
            return k
        def mth(D):
            if len(D) == 0: return H(b"")
            if len(D) == 1: return leaf(D[0])
            k = k_of(len(D)); return H(b"\x01" + mth(D[:k]) + mth(D[k:]))
        def path(m, D):
            if len(D) <= 1: return []
            k = k_of(len(D))
            return path(m, D[:k]) + [mth(D[k:])] if m < k else path(m - k, D[k:]) + [mth(D[:k])]
        def sub(m, D, b):
            n = len(D)
            if m == n: return [] if b else [mth(D)]
            k = k_of(n)
            return sub(m, D[:k], b) + [mth(D[k:])] if m <= k else sub(m - k, D[k:], False) + [mth(D[:k])]
        out = {}
        for n in range(1, 21):
            D = [bytes([i]) * (i % 5) for i in range(n)]
            out[str(n)] = {"root": mth(D).hex(),
                           "incl": [[p.hex() for p in path(i, D)] for i in range(n)],
                           "cons": [[p.hex() for p in sub(m, D, True)] for m in range(1, n)]}
        print(json.dumps(out))
        """#
        let r = try TestProcess.run("/usr/bin/env", ["python3", "-c", script])
        #expect(r.status == 0)
        let json = try StrictJSONParser.parse(Array(r.stdout.utf8), limits: .init(maxDepth: 8, maxBytes: 1 << 24))
        for n in 1...20 {
            let data = (0..<n).map { [UInt8](repeating: UInt8($0), count: $0 % 5) }
            let hashes = ArraySlice(data.map(MerkleHash.leaf))
            let expect = json["\(n)"]
            #expect(Hex.encode(MerkleHash.root(leafHashes: hashes)) == expect?["root"]?.stringValue)
            for i in 0..<n {
                let want = expect?["incl"]?.arrayValue?[i].arrayValue?.compactMap(\.stringValue)
                #expect(MerkleHash.inclusionProof(index: i, leafHashes: hashes).map(Hex.encode) == want, "incl \(i)/\(n)")
            }
            for m in 1..<n {
                let want = expect?["cons"]?.arrayValue?[m - 1].arrayValue?.compactMap(\.stringValue)
                #expect(MerkleHash.consistencyProof(oldSize: m, leafHashes: hashes).map(Hex.encode) == want, "cons \(m)/\(n)")
            }
        }
    }
}
