import Foundation
import Testing
import WardenTestSupport
import WardenCore
@testable import WardenTrust

@Suite struct RoundTripTests {
    @Test(arguments: [JWSAlgorithm.EdDSA, .ES256, .HS256])
    func signVerifyAddAuthorize(alg: JWSAlgorithm) throws {
        let f = try TrustFixture()
        let pub = try f.signer("pub", .publisher, alg)
        let auth = try f.signer("auth", .authorizer, alg)
        let t = try f.signedTool(signer: pub)
        let v = try ManifestVerifier.verify(t.jws, trust: f.trust, now: Date())
        #expect(v.manifest == t.manifest)
        #expect(v.jws.key.alg == alg)
        try f.armory.add(manifestJWS: t.jws, artifactPath: t.artifact)
        #expect(try f.armory.resolve(.name("hello")).manifest.digest == t.manifest.digest)
        #expect(errorCode { _ = try f.authz.require(digest: t.manifest.digest, tenant: "acme") } == "authz.missing")
        try f.authz.authorize(digest: t.manifest.digest, tenant: "acme", signer: auth, require: 1, notAfter: nil)
        #expect(try f.authz.require(digest: t.manifest.digest, tenant: "acme").validSigners == [auth.kid])
        // The stored blob is read-only, and a run's verified copy re-verifies.
        let copy = try f.armory.store.verifiedCopy(t.manifest.digest)
        defer { copy.close() }
        var st = stat()
        #expect(stat(f.armory.store.path(for: t.manifest.digest), &st) == 0 && st.st_mode & 0o777 == 0o555)
        #expect(copy.size == Int(t.manifest.size))
    }

    @Test(arguments: [JWSAlgorithm.EdDSA, .ES256, .HS256])
    func pemRoundTripKeepsKeyID(alg: JWSAlgorithm) throws {
        let key = PrivateKeyMaterial.generate(alg)
        let back = try KeyCodec.privateKey(fromPEM: KeyCodec.privatePEM(key), source: "test")
        #expect(KeyCodec.keyID(back.publicKey) == KeyCodec.keyID(key.publicKey))
        let pub = try KeyCodec.publicKey(fromPEM: KeyCodec.publicPEM(key.publicKey), source: "test")
        let msg = Array("message".utf8)
        #expect(pub.verify(try back.sign(msg), for: msg))
        #expect(!pub.verify(try back.sign(msg), for: Array("other".utf8)))
    }

    @Test func addingTheSameManifestTwiceIsIdempotent() throws {
        let f = try TrustFixture()
        let pub = try f.signer("pub", .publisher)
        let t = try f.signedTool(signer: pub)
        try f.armory.add(manifestJWS: t.jws, artifactPath: t.artifact)
        try f.armory.add(manifestJWS: t.jws, artifactPath: t.artifact)
        #expect(try f.armory.list().count == 1)
    }

    @Test func largeArtifactHashMatchesSha256sum() throws {
        let f = try TrustFixture()
        let path = f.dir + "/big.bin"
        var bytes = [UInt8](repeating: 0, count: 3 * ArtifactHasher.bufferSize + 12345)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 2654435761 >> 7) }
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        let (digest, size) = try ArtifactHasher.hash(path: path)
        #expect(size == Int64(bytes.count))
        let out = try TestProcess.run("/usr/bin/sha256sum", [path]).stdout
        #expect(out.hasPrefix(digest.hex))
    }
}
