import CWardenSys
import Foundation
import Testing
import WardenCore
@testable import WardenTrust

@Suite struct VerifiedArtifactTests {
    let f: TrustFixture
    let pub: Signer

    init() throws {
        f = try TrustFixture()
        pub = try f.signer("pub", .publisher)
    }

    /// All bytes of a verified copy, read by offset (its file position is shared).
    static func bytes(of a: VerifiedArtifact) -> Data {
        var buf = [UInt8](repeating: 0, count: a.size + 1)
        let n = buf.withUnsafeMutableBytes { pread(a.fd, $0.baseAddress, a.size + 1, 0) }
        return Data(buf[0..<max(n, 0)])
    }

    @Test func theCopyHoldsTheVerifiedBytesAndTheKernelRefusesChanges() throws {
        let content = "#!/bin/sh\necho hi\n"
        let t = try f.signedTool(content: content, signer: pub)
        try f.armory.add(manifestJWS: t.jws, artifactPath: t.artifact)
        let copy = try f.armory.store.verifiedCopy(t.manifest.digest)
        defer { copy.close() }
        #expect(Self.bytes(of: copy) == Data(content.utf8))
        #expect(copy.size == content.utf8.count)
        #expect(wsys_seals_immutable(wsys_get_seals(copy.fd)) == 1)
        #expect(fcntl(copy.fd, F_GETFD) & FD_CLOEXEC != 0)
        // Writing, growing and shrinking are refused by the seals, not by permissions.
        #expect(pwrite(copy.fd, "X", 1, 0) == -1 && errno == EPERM)
        #expect(ftruncate(copy.fd, 1) == -1 && errno == EPERM)
        #expect(ftruncate(copy.fd, 1 << 20) == -1 && errno == EPERM)
        #expect(Self.bytes(of: copy) == Data(content.utf8))
        // And a writable shared mapping is refused too.
        let map = mmap(nil, copy.size, PROT_READ | PROT_WRITE, MAP_SHARED, copy.fd, 0)
        #expect(map == MAP_FAILED)
    }

    @Test func aMissingBlobIsRefused() throws {
        let t = try f.signedTool(signer: pub)
        try f.armory.add(manifestJWS: t.jws, artifactPath: t.artifact)
        let blob = f.armory.store.path(for: t.manifest.digest)
        #expect(unlink(blob) == 0)
        #expect(errorCode { _ = try f.armory.store.verifiedCopy(t.manifest.digest) } == "artifact.missing")
    }

    @Test func aBlobSwappedForASymlinkIsRefused() throws {
        let t = try f.signedTool(signer: pub)
        try f.armory.add(manifestJWS: t.jws, artifactPath: t.artifact)
        let blob = f.armory.store.path(for: t.manifest.digest)
        #expect(unlink(blob) == 0)
        #expect(symlink(t.artifact, blob) == 0)   // even to the original, correct bytes
        #expect(errorCode { _ = try f.armory.store.verifiedCopy(t.manifest.digest) } == "artifact.missing")
    }
}
