import Foundation
import GRDB
import Testing
import WardenCore
@testable import WardenTrust

@Suite struct ArmoryAuthorizationTests {
    let f: TrustFixture
    let pub: Signer
    let auth: Signer

    init() throws {
        f = try TrustFixture()
        pub = try f.signer("pub", .publisher)
        auth = try f.signer("auth", .authorizer)
    }

    @Test func tamperedArtifactIsRefusedAtAdd() throws {
        let t = try f.signedTool(signer: pub)
        try "#!/bin/sh\necho PWNED\n".write(toFile: t.artifact, atomically: true, encoding: .utf8)
        #expect(errorCode { try f.armory.add(manifestJWS: t.jws, artifactPath: t.artifact) } == "artifact.size_mismatch")
        try "#!/bin/sh\necho ho\n".write(toFile: t.artifact, atomically: true, encoding: .utf8)  // same size
        #expect(errorCode { try f.armory.add(manifestJWS: t.jws, artifactPath: t.artifact) } == "artifact.digest_mismatch")
        #expect(try f.armory.list().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: f.home.artifactsDirectory).isEmpty)
    }

    @Test func tamperedStoredBlobIsDetected() throws {
        let t = try f.signedTool(signer: pub)
        try f.armory.add(manifestJWS: t.jws, artifactPath: t.artifact)
        let blob = f.armory.store.path(for: t.manifest.digest)
        chmod(blob, 0o644)
        try "#!/bin/sh\necho ho\n".write(toFile: blob, atomically: false, encoding: .utf8)
        #expect(errorCode { _ = try f.armory.store.verifiedCopy(t.manifest.digest) } == "artifact.tampered")
    }

    @Test func replayedJtiIsRejected() throws {
        let a = try f.signedTool("one", signer: pub)
        try f.armory.add(manifestJWS: a.jws, artifactPath: a.artifact)
        // A second, validly signed manifest re-using the first one's jti.
        var m = a.manifest
        m.name = "two"
        let token = try JWS.sign(payload: m.payload, type: ToolManifest.jwsType, signer: pub)
        #expect(errorCode { try f.armory.add(manifestJWS: token, artifactPath: a.artifact) } == "manifest.jti_replay")
    }

    @Test func republishingAVersionWithOtherContentIsRejected() throws {
        let a = try f.signedTool(content: "A", signer: pub)
        try f.armory.add(manifestJWS: a.jws, artifactPath: a.artifact)
        let b = try f.signedTool(content: "B", signer: pub)
        #expect(errorCode { try f.armory.add(manifestJWS: b.jws, artifactPath: b.artifact) } == "tool.version_conflict")
    }

    @Test func unauthorizedTenantAndDigestAreDenied() throws {
        let t = try f.signedTool(signer: pub)
        try f.armory.add(manifestJWS: t.jws, artifactPath: t.artifact)
        try f.authz.authorize(digest: t.manifest.digest, tenant: "acme", signer: auth, require: 1, notAfter: nil)
        #expect(errorCode { _ = try f.authz.require(digest: t.manifest.digest, tenant: "acme") } == nil)
        #expect(errorCode { _ = try f.authz.require(digest: t.manifest.digest, tenant: "globex") } == "authz.missing")
        let other = try ArtifactDigest(parsing: "sha256:" + String(repeating: "ab", count: 32))
        #expect(errorCode { _ = try f.authz.require(digest: other, tenant: "acme") } == "authz.missing")
    }

    @Test func authorizationSignedByNonAuthorizerIsNotCounted() throws {
        let t = try f.signedTool(signer: pub)
        // Signing with a publisher key through the API is refused...
        #expect(errorCode { try f.authz.authorize(digest: t.manifest.digest, tenant: "acme", signer: pub, require: 1, notAfter: nil) } == "trust.wrong_role")
        // ...and a statement planted directly in the database is not counted either.
        let s = AuthorizationStatement(digest: t.manifest.digest, tenant: "acme", require: 1, notAfter: nil, issuer: pub.kid,
                                       issuedAt: Timestamp.unix(Date()), jti: "planted-statement")
        let compact = try JWS.sign(payload: s.payload, type: AuthorizationStatement.jwsType, signer: pub)
        try f.db.write { db in
            try db.execute(sql: "INSERT INTO authorization (digest, tenant, authorizer_kid, required, statement_jws, created_at) VALUES (?, ?, ?, 1, ?, 0)",
                           arguments: [t.manifest.digest.description, "acme", pub.kid, compact])
        }
        #expect(errorCode { _ = try f.authz.require(digest: t.manifest.digest, tenant: "acme") } == "authz.missing")
        #expect(try f.authz.status(digest: t.manifest.digest, tenant: "acme").rejected.first?.contains("trust.wrong_role") == true)
    }

    @Test func statementPlantedUnderAnotherTenantIsNotCounted() throws {
        let t = try f.signedTool(signer: pub)
        let compact = try f.authz.authorize(digest: t.manifest.digest, tenant: "acme", signer: auth, require: 1, notAfter: nil)
        try f.db.write { db in
            try db.execute(sql: "INSERT INTO authorization (digest, tenant, authorizer_kid, required, statement_jws, created_at) VALUES (?, 'globex', ?, 1, ?, 0)",
                           arguments: [t.manifest.digest.description, auth.kid, compact])
        }
        #expect(errorCode { _ = try f.authz.require(digest: t.manifest.digest, tenant: "globex") } == "authz.missing")
    }

    @Test func mOfNNeedsDistinctAuthorizersAndCannotBeLowered() throws {
        let t = try f.signedTool(signer: pub)
        let auth2 = try f.signer("auth2", .authorizer, .ES256)
        try f.authz.authorize(digest: t.manifest.digest, tenant: "acme", signer: auth, require: 2, notAfter: nil)
        #expect(errorCode { _ = try f.authz.require(digest: t.manifest.digest, tenant: "acme") } == "authz.insufficient")
        // The same authorizer signing again does not count twice.
        try f.authz.authorize(digest: t.manifest.digest, tenant: "acme", signer: auth, require: 2, notAfter: nil)
        #expect(errorCode { _ = try f.authz.require(digest: t.manifest.digest, tenant: "acme") } == "authz.insufficient")
        // A second authorizer stating require=1 cannot lower the bar below 2 — but it is the second signature.
        try f.authz.authorize(digest: t.manifest.digest, tenant: "acme", signer: auth2, require: 1, notAfter: nil)
        #expect(try f.authz.require(digest: t.manifest.digest, tenant: "acme").required == 2)
        // A third authorizer raising it to 3 takes effect.
        let auth3 = try f.signer("auth3", .authorizer)
        try f.authz.authorize(digest: t.manifest.digest, tenant: "acme", signer: auth3, require: 3, notAfter: nil)
        #expect(try f.authz.require(digest: t.manifest.digest, tenant: "acme").validSigners.count == 3)
        // A revoked key's statements count for nothing, its raised threshold included: 2 of 2 again.
        _ = try f.trust.revoke(name: "auth3")
        #expect(try f.authz.require(digest: t.manifest.digest, tenant: "acme").required == 2)
        // Revoking a second authorizer drops below the threshold.
        _ = try f.trust.revoke(name: "auth2")
        #expect(errorCode { _ = try f.authz.require(digest: t.manifest.digest, tenant: "acme") } == "authz.insufficient")
    }

    @Test func expiredAuthorizationIsNotCounted() throws {
        let t = try f.signedTool(signer: pub)
        try f.authz.authorize(digest: t.manifest.digest, tenant: "acme", signer: auth, require: 1, notAfter: Date().addingTimeInterval(60))
        #expect(errorCode { _ = try f.authz.require(digest: t.manifest.digest, tenant: "acme") } == nil)
        #expect(errorCode { _ = try f.authz.require(digest: t.manifest.digest, tenant: "acme", now: Date().addingTimeInterval(120)) } == "authz.missing")
    }

    @Test func revokedAuthorizationIsNotCounted() throws {
        let t = try f.signedTool(signer: pub)
        try f.authz.authorize(digest: t.manifest.digest, tenant: "acme", signer: auth, require: 1, notAfter: nil)
        #expect(try f.authz.revoke(digest: t.manifest.digest, tenant: "acme") == 1)
        #expect(errorCode { _ = try f.authz.require(digest: t.manifest.digest, tenant: "acme") } == "authz.missing")
    }

    @Test func revokedToolDoesNotResolveByName() throws {
        let t = try f.signedTool(signer: pub)
        try f.armory.add(manifestJWS: t.jws, artifactPath: t.artifact)
        _ = try f.armory.revoke(.name("hello"))
        #expect(errorCode { _ = try f.armory.resolve(.name("hello")) } == "tool.unknown")
        #expect(try f.armory.resolve(.version(name: "hello", version: "1.0.0")).revokedAt != nil)
    }

    @Test func privateKeyReadableByOthersIsRefused() throws {
        chmod(f.home.keysDirectory + "/pub.pem", 0o644)
        #expect(errorCode { _ = try f.trust.signer(named: "pub", role: .publisher) } == "key.insecure_mode")
    }

    @Test func swappedPrivateKeyFileIsRefused() throws {
        let path = f.home.keysDirectory + "/pub.pem"
        unlink(path)
        try SecureFileWrite.write(path, KeyCodec.privatePEM(.generate(.EdDSA)))
        #expect(errorCode { _ = try f.trust.signer(named: "pub", role: .publisher) } == "key.mismatch")
    }

    @Test func keyNamesThatEscapeTheKeysDirectoryAreRefused() throws {
        for bad in ["../x", "a/b", ".hidden", "", String(repeating: "a", count: 65)] {
            #expect(errorCode { _ = try f.trust.generate(name: bad, alg: .EdDSA, role: .publisher) } == "key.bad_name")
        }
    }

    @Test func trustingTheSameKeyTwiceIsRefused() throws {
        let pem = try f.trust.key(named: "pub").publicKeyPEM
        #expect(errorCode { _ = try f.trust.trust(pem: pem, source: "x", name: "again", role: .authorizer, notAfter: nil) } == "key.exists")
    }
}

enum SecureFileWrite {
    static func write(_ path: String, _ text: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw WardenError.usage("test", "cannot create \(path)") }
        _ = text.utf8CString.withUnsafeBufferPointer { Foundation.write(fd, $0.baseAddress, $0.count - 1) }
        close(fd)
    }
}
