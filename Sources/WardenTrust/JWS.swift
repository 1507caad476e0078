import Foundation
import WardenCore

/// A compact JWS whose signature, key and type have been checked.
public struct VerifiedJWS: Sendable {
    public let header: JSONValue
    public let payload: JSONValue
    /// The key that signed it (role, expiry and revocation already checked).
    public let key: TrustedKey
    /// The compact serialization as given.
    public let compact: String
}

/// Compact JWS (RFC 7515), written by hand because the rules Warden needs are stricter than a
/// general JWT library offers: the algorithm comes from the trusted key, never the header; the
/// header may hold only `alg`, `kid` and `typ` (no `crit`, `jwk`, `jku`, `x5u`: nothing that
/// would let the token choose its own key); JSON with duplicate keys is rejected; base64url
/// must be canonical; sizes are bounded before any decoding.
public enum JWS {
    /// Largest compact token accepted (manifests and tokens are small).
    public static let maxTokenBytes = 64 * 1024
    /// Largest encoded header accepted.
    public static let maxHeaderBytes = 1024

    /// Signs `payload` (canonical JSON) as a compact JWS with header `{alg, kid, typ}`.
    public static func sign(payload: JSONValue, type: String, signer: Signer) throws(WardenError) -> String {
        let header: JSONValue = ["alg": .string(signer.alg.rawValue), "kid": .string(signer.kid), "typ": .string(type)]
        let signingInput = Base64URL.encode(CanonicalJSON.encode(header)) + "." + Base64URL.encode(CanonicalJSON.encode(payload))
        let signature = try signer.sign(Array(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }

    /// The structural parts of a token, before any key is consulted.
    public struct Parsed: Sendable {
        public let header: JSONValue
        public let alg: JWSAlgorithm
        public let kid: String
        public let type: String
        public let payload: JSONValue
        let signingInput: [UInt8]
        let signature: [UInt8]
    }

    /// Parses and structurally validates a compact token. Does not verify the signature.
    public static func parse(_ compact: String) throws(WardenError) -> Parsed {
        let bytes = Array(compact.utf8)
        guard bytes.count <= maxTokenBytes else {
            throw .denied("jws.too_large", "token is \(bytes.count) bytes; the limit is \(maxTokenBytes)")
        }
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw .denied("jws.segments", "a compact JWS has 3 dot-separated segments; this has \(parts.count)")
        }
        guard parts.allSatisfy({ !$0.isEmpty }) else {
            throw .denied("jws.segments", "a JWS segment is empty (detached or unsigned tokens are refused)")
        }
        guard parts[0].count <= maxHeaderBytes else {
            throw .denied("jws.header_too_large", "JWS header is \(parts[0].count) bytes encoded; the limit is \(maxHeaderBytes)")
        }
        guard let headerBytes = Base64URL.decode(String(decoding: parts[0], as: UTF8.self)),
            let payloadBytes = Base64URL.decode(String(decoding: parts[1], as: UTF8.self)),
            let signature = Base64URL.decode(String(decoding: parts[2], as: UTF8.self))
        else {
            throw .denied("jws.base64", "a JWS segment is not canonical unpadded base64url")
        }
        let header: JSONValue
        do { header = try StrictJSONParser.parse(headerBytes, limits: .init(maxDepth: 2, maxBytes: maxHeaderBytes)) } catch {
            throw .denied("jws.header_json", "JWS header: \(error.message)")
        }
        guard case .object(let members) = header else { throw .denied("jws.header_json", "JWS header is not a JSON object") }
        guard case .string(let algText)? = members["alg"] else {
            throw .denied("jws.alg_missing", "JWS header has no string \"alg\"")
        }
        if algText.lowercased() == "none" { throw .denied("jws.alg_none", "JWS \"alg\": \"none\" (unsigned) is never accepted") }
        guard let alg = JWSAlgorithm(rawValue: algText) else {
            throw .denied("jws.alg_unknown", "JWS \"alg\" \"\(algText.prefix(20))\" is not EdDSA, ES256 or HS256")
        }
        let extra = Set(members.keys).subtracting(["alg", "kid", "typ"])
        guard extra.isEmpty else {
            throw .denied("jws.header_unsupported", "JWS header member(s) \(extra.sorted().joined(separator: ", ")) not accepted (only alg, kid, typ)")
        }
        guard case .string(let kid)? = members["kid"], !kid.isEmpty else {
            throw .denied("jws.kid_missing", "JWS header has no \"kid\"")
        }
        guard case .string(let type)? = members["typ"] else {
            throw .denied("jws.typ_missing", "JWS header has no \"typ\"")
        }
        let payload: JSONValue
        do { payload = try StrictJSONParser.parse(payloadBytes, limits: .init(maxDepth: 8, maxBytes: maxTokenBytes)) } catch {
            throw .denied("jws.payload_json", "JWS payload: \(error.message)")
        }
        guard case .object = payload else { throw .denied("jws.payload_json", "JWS payload is not a JSON object") }
        let signingInput = Array(parts[0]) + [UInt8(ascii: ".")] + Array(parts[1])
        return Parsed(header: header, alg: alg, kid: kid, type: type, payload: payload, signingInput: signingInput, signature: signature)
    }

    /// Verifies a compact token of `type` signed by a trusted key holding `role`.
    ///
    /// - Parameter resolve: finds a trusted key by id (the trust store, or a fixed set offline).
    /// - Parameter memo: signature checks already made by this process (`warden serve`); only
    ///   the cryptographic check is remembered, every other check here is made each time.
    public static func verify(_ compact: String, type: String, role: KeyRole, now: Date, memo: SignatureMemo? = nil,
                              resolve: (String) throws(WardenError) -> TrustedKey?) throws(WardenError) -> VerifiedJWS {
        let parsed = try parse(compact)
        guard parsed.type == type else {
            throw .denied("jws.wrong_type", "JWS \"typ\" is \"\(parsed.type.prefix(40))\"; expected \"\(type)\"")
        }
        guard let key = try resolve(parsed.kid) else {
            throw .denied("jws.unknown_kid", "JWS is signed by key id \"\(parsed.kid.prefix(40))\", which is not in the trust store")
        }
        // The key decides the algorithm; a header that claims another is an algorithm-confusion attempt.
        guard key.alg == parsed.alg else {
            throw .denied("jws.alg_mismatch", "JWS header says \(parsed.alg.rawValue) but key \"\(key.name)\" is \(key.alg.rawValue)")
        }
        try key.checkUsable(for: role, at: now)
        let publicKey = try key.publicKey()
        let valid = if let memo { memo.verify(publicKey, parsed.signature, parsed.signingInput) }
                    else { publicKey.verify(parsed.signature, for: parsed.signingInput) }
        guard valid else {
            throw .denied("jws.bad_signature", "JWS signature does not verify with key \"\(key.name)\" (\(key.kid))")
        }
        return VerifiedJWS(header: parsed.header, payload: parsed.payload, key: key, compact: compact)
    }

    /// Verifies against the trust store.
    public static func verify(_ compact: String, type: String, role: KeyRole, trust: TrustStore, now: Date) throws(WardenError) -> VerifiedJWS {
        try verify(compact, type: type, role: role, now: now, memo: trust.signatures) { (kid: String) throws(WardenError) -> TrustedKey? in
            try trust.key(kid: kid)
        }
    }
}
