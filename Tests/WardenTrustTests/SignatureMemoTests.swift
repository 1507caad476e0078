import Foundation
import Testing
import WardenCore
@testable import WardenTrust

/// `SignatureMemo` remembers only the cryptographic check; everything else is decided again.
@Suite struct SignatureMemoTests {
    let f: TrustFixture
    let memo = SignatureMemo()
    let served: TrustStore

    init() throws {
        f = try TrustFixture()
        served = TrustStore(home: f.home, db: f.db, signatures: memo)
    }

    @Test func aVerifiedSignatureIsRememberedAndAnsweredAgain() throws {
        let pub = try f.signer("pub", .publisher)
        let t = try f.signedTool(signer: pub)
        for _ in 0..<3 { #expect(try ManifestVerifier.verify(t.jws, trust: served, now: Date()).manifest == t.manifest) }
        #expect(memo.count == 1)
    }

    @Test(arguments: [JWSAlgorithm.EdDSA, .ES256])
    func anotherSignatureOrMessageIsCheckedOnItsOwn(alg: JWSAlgorithm) throws {
        let pub = try f.signer("pub", .publisher, alg)
        let t = try f.signedTool(signer: pub)
        _ = try ManifestVerifier.verify(t.jws, trust: served, now: Date())
        // The same payload under a corrupted signature, and a changed payload under the
        // remembered signature: both refused although a valid check of "this token" is remembered.
        let parts = t.jws.split(separator: ".").map(String.init)
        var sig = try #require(Base64URL.decode(parts[2]))
        sig[10] ^= 1
        let badSig = parts[0] + "." + parts[1] + "." + Base64URL.encode(sig)
        #expect(errorCode { _ = try ManifestVerifier.verify(badSig, trust: served, now: Date()) } == "jws.bad_signature")
        let other = TrustFixture.payloadText(t.manifest) { $0["version"] = .string("9.9.9") }
        let swapped = parts[0] + "." + Base64URL.encode(Array(other.utf8)) + "." + parts[2]
        #expect(errorCode { _ = try ManifestVerifier.verify(swapped, trust: served, now: Date()) } == "jws.bad_signature")
        #expect(memo.count == 1)
    }

    @Test func revocationAndExpiryStillApplyToARememberedSignature() throws {
        let pub = try f.signer("pub", .publisher, notAfter: Date().addingTimeInterval(3600))
        let t = try f.signedTool(signer: pub)
        _ = try ManifestVerifier.verify(t.jws, trust: served, now: Date())
        // Past the key's expiry: refused, memo or not.
        #expect(errorCode { _ = try ManifestVerifier.verify(t.jws, trust: served, now: Date().addingTimeInterval(7200)) } != nil)
        _ = try f.trust.revoke(name: "pub")
        #expect(errorCode { _ = try ManifestVerifier.verify(t.jws, trust: served, now: Date()) } == "trust.key_revoked")
    }

    @Test func hmacChecksAreNeverRemembered() throws {
        let key = PublicKeyMaterial.hmac(Array(repeating: 7, count: 32))
        #expect(SignatureMemo.entry(key, [1, 2], [3]) == nil)
    }

    @Test func theMemoIsBounded() throws {
        let small = SignatureMemo(capacity: 2)
        let k = PrivateKeyMaterial.generate(.EdDSA)
        for i in 0..<5 {
            let msg: [UInt8] = [UInt8(i)]
            #expect(small.verify(k.publicKey, try k.sign(msg), msg))
            #expect(small.count <= 2)
        }
        #expect(!small.verify(k.publicKey, [UInt8](repeating: 0, count: 64), [9]))
    }
}
