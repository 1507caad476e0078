import CWardenSys
import Foundation
import Testing
import WardenCore
@testable import WardenTrust

@Suite struct VerifiedArtifactCacheTests {
    let f: TrustFixture
    let pub: Signer

    init() throws {
        f = try TrustFixture()
        pub = try f.signer("pub", .publisher)
    }

    /// Adds a tool and returns its digest and original bytes.
    func added(_ name: String = "hello", content: String = "#!/bin/sh\necho hi\n") throws -> (ArtifactDigest, Data) {
        let t = try f.signedTool(name, content: content, signer: pub)
        try f.armory.add(manifestJWS: t.jws, artifactPath: t.artifact)
        return (t.manifest.digest, Data(content.utf8))
    }

    @Test func aHitHandsOutTheVerifiedBytesWithoutHashingAgain() throws {
        let (digest, original) = try added()
        let cache = VerifiedArtifactCache(capacityBytes: 1 << 20, racyMarginSeconds: -1)
        for _ in 0..<3 {
            let copy = try cache.verifiedCopy(f.armory.store, digest)
            defer { copy.close() }
            #expect(VerifiedArtifactTests.bytes(of: copy) == original)
            #expect(wsys_seals_immutable(wsys_get_seals(copy.fd)) == 1)
            #expect(fcntl(copy.fd, F_GETFD) & FD_CLOEXEC != 0, "a server's children must not inherit the copy")
        }
        #expect(cache.hashes == 1)
        // The kept copy is sealed: the kernel refuses any change to its bytes.
        let seals = try #require(cache.seals(of: digest))
        #expect(wsys_seals_immutable(seals) == 1, "seals \(seals)")
    }

    @Test func aBlobTamperedWithAfterCachingIsRefused() throws {
        let (digest, _) = try added()
        let cache = VerifiedArtifactCache(capacityBytes: 1 << 20, racyMarginSeconds: -1)
        try cache.verifiedCopy(f.armory.store, digest).close()
        let blob = f.armory.store.path(for: digest)
        chmod(blob, 0o644)
        try "#!/bin/sh\necho ho\n".write(toFile: blob, atomically: false, encoding: .utf8)  // same size, in place
        #expect(errorCode { _ = try cache.verifiedCopy(f.armory.store, digest) } == "artifact.tampered")
        #expect(cache.hashes == 2)
        // Replaced by another file (new inode): also hashed again, also refused.
        try "#!/bin/sh\necho hx\n".write(toFile: blob, atomically: true, encoding: .utf8)
        #expect(errorCode { _ = try cache.verifiedCopy(f.armory.store, digest) } == "artifact.tampered")
        #expect(cache.hashes == 3)
    }

    @Test func aRecentlyChangedBlobIsNeverTrusted() throws {
        let (digest, _) = try added()
        let cache = VerifiedArtifactCache()  // 2 s racy margin; the blob was written just now
        try cache.verifiedCopy(f.armory.store, digest).close()
        try cache.verifiedCopy(f.armory.store, digest).close()
        #expect(cache.hashes == 2)
        #expect(cache.cachedBytes == 0)
    }

    @Test func capacityBoundsWhatIsKept() throws {
        let (a, _) = try added("one", content: "#!/bin/sh\necho one\n")
        let (b, _) = try added("two", content: "#!/bin/sh\necho two\n")
        let size = Int64("#!/bin/sh\necho one\n".utf8.count)
        let cache = VerifiedArtifactCache(capacityBytes: size, racyMarginSeconds: -1)
        try cache.verifiedCopy(f.armory.store, a).close()
        try cache.verifiedCopy(f.armory.store, b).close()
        #expect(cache.cachedBytes <= size)
        #expect(cache.seals(of: a) == nil && cache.seals(of: b) != nil, "least recently used not evicted")
        // Larger than the whole cache: verified, handed out, never kept.
        let tiny = VerifiedArtifactCache(capacityBytes: 4, racyMarginSeconds: -1)
        try tiny.verifiedCopy(f.armory.store, a).close()
        #expect(tiny.cachedBytes == 0)
    }
}
