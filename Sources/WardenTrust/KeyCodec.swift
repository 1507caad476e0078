import Crypto
import Foundation
import WardenCore

/// PEM encodings of Warden's keys.
///
/// P-256 uses swift-crypto's own PKCS#8 / SubjectPublicKeyInfo PEM. swift-crypto offers only raw
/// bytes for Ed25519, so the RFC 8410 encodings are written here: both are a fixed DER prefix
/// followed by the 32 key bytes, so they are built and parsed by exact byte comparison (no
/// general ASN.1 parser, nothing lenient). HMAC secrets have no standard PEM; Warden labels them
/// `WARDEN HMAC SECRET` so they can never be mistaken for an asymmetric key.
public enum KeyCodec {
    /// DER prefix of an Ed25519 PKCS#8 v1 private key (RFC 8410 §7).
    static let ed25519PrivatePrefix: [UInt8] = [
        0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]
    /// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4).
    static let ed25519PublicPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    static let hmacLabel = "WARDEN HMAC SECRET"

    // MARK: PEM armor

    /// Wraps DER bytes in PEM armor with 64-column base64 lines.
    public static func pem(label: String, der: [UInt8]) -> String {
        let b64 = Data(der).base64EncodedString()
        var lines = ["-----BEGIN \(label)-----"]
        var index = b64.startIndex
        while index < b64.endIndex {
            let end = b64.index(index, offsetBy: 64, limitedBy: b64.endIndex) ?? b64.endIndex
            lines.append(String(b64[index..<end]))
            index = end
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Extracts the single PEM block of `text`: its label and DER bytes.
    public static func unpem(_ text: String, source: String) throws(WardenError) -> (label: String, der: [UInt8]) {
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard let first = lines.first, first.hasPrefix("-----BEGIN "), first.hasSuffix("-----"),
            let last = lines.last, last.hasPrefix("-----END "), last.hasSuffix("-----"), lines.count >= 3
        else {
            throw .usage("key.bad_pem", "\(source): not a PEM file (expected one -----BEGIN ...----- block)")
        }
        let label = String(first.dropFirst(11).dropLast(5))
        guard last == "-----END \(label)-----" else {
            throw .usage("key.bad_pem", "\(source): PEM BEGIN/END labels differ")
        }
        let body = lines[1..<(lines.count - 1)].joined()
        guard let der = Data(base64Encoded: body), !der.isEmpty else {
            throw .usage("key.bad_pem", "\(source): PEM body is not valid base64")
        }
        return (label, [UInt8](der))
    }

    // MARK: Private keys

    /// PEM of a private key (PKCS#8 for Ed25519 and P-256).
    public static func privatePEM(_ key: PrivateKeyMaterial) -> String {
        switch key {
        case .ed25519(let k): pem(label: "PRIVATE KEY", der: ed25519PrivatePrefix + [UInt8](k.rawRepresentation))
        case .p256(let k): k.pemRepresentation.hasSuffix("\n") ? k.pemRepresentation : k.pemRepresentation + "\n"
        case .hmac(let secret): pem(label: hmacLabel, der: secret)
        }
    }

    /// Parses a private key PEM written by `privatePEM` (or any PKCS#8 Ed25519/P-256 key).
    public static func privateKey(fromPEM text: String, source: String) throws(WardenError) -> PrivateKeyMaterial {
        let (label, der) = try unpem(text, source: source)
        switch label {
        case hmacLabel:
            guard der.count >= 32 else { throw .usage("key.bad_pem", "\(source): HMAC secret shorter than 32 bytes") }
            return .hmac(der)
        case "PRIVATE KEY":
            if der.count == 48, Array(der.prefix(16)) == ed25519PrivatePrefix {
                guard let k = try? Curve25519.Signing.PrivateKey(rawRepresentation: der.suffix(32)) else {
                    throw .usage("key.bad_pem", "\(source): invalid Ed25519 private key")
                }
                return .ed25519(k)
            }
            guard let k = try? P256.Signing.PrivateKey(derRepresentation: der) else {
                throw .usage("key.unsupported", "\(source): PKCS#8 key is neither Ed25519 nor P-256")
            }
            return .p256(k)
        default:
            throw .usage("key.unsupported", "\(source): unsupported PEM type \"\(label)\" (expected PRIVATE KEY)")
        }
    }

    // MARK: Public keys

    /// SubjectPublicKeyInfo DER of a public key (raw secret bytes for HMAC).
    public static func publicDER(_ key: PublicKeyMaterial) -> [UInt8] {
        switch key {
        case .ed25519(let k): ed25519PublicPrefix + [UInt8](k.rawRepresentation)
        case .p256(let k): [UInt8](k.derRepresentation)
        case .hmac(let secret): secret
        }
    }

    /// PEM of a public key (SubjectPublicKeyInfo); for HMAC, the secret itself (which is why
    /// HS256 is for tests only).
    public static func publicPEM(_ key: PublicKeyMaterial) -> String {
        switch key {
        case .hmac(let secret): pem(label: hmacLabel, der: secret)
        default: pem(label: "PUBLIC KEY", der: publicDER(key))
        }
    }

    /// Parses a public key PEM: Ed25519 or P-256 SubjectPublicKeyInfo, or a Warden HMAC secret.
    public static func publicKey(fromPEM text: String, source: String) throws(WardenError) -> PublicKeyMaterial {
        let (label, der) = try unpem(text, source: source)
        switch label {
        case hmacLabel:
            guard der.count >= 32 else { throw .usage("key.bad_pem", "\(source): HMAC secret shorter than 32 bytes") }
            return .hmac(der)
        case "PUBLIC KEY":
            if der.count == 44, Array(der.prefix(12)) == ed25519PublicPrefix {
                guard let k = try? Curve25519.Signing.PublicKey(rawRepresentation: der.suffix(32)) else {
                    throw .usage("key.bad_pem", "\(source): invalid Ed25519 public key")
                }
                return .ed25519(k)
            }
            guard let k = try? P256.Signing.PublicKey(derRepresentation: der) else {
                throw .usage("key.unsupported", "\(source): public key is neither Ed25519 nor P-256")
            }
            return .p256(k)
        case "PRIVATE KEY":
            throw .usage("key.private_given", "\(source): this is a PRIVATE key; give the public key (warden key export)")
        default:
            throw .usage("key.unsupported", "\(source): unsupported PEM type \"\(label)\" (expected PUBLIC KEY)")
        }
    }

    /// Convenience for the ledger's offline verifier: an Ed25519 public key from PEM.
    public static func ed25519PublicKey(fromPEM text: String, source: String) throws(WardenError) -> Curve25519.Signing.PublicKey {
        guard case .ed25519(let k) = try publicKey(fromPEM: text, source: source) else {
            throw .usage("key.wrong_alg", "\(source): expected an Ed25519 public key")
        }
        return k
    }

    /// The key id: base64url of the first 16 bytes of SHA-256 over the public key's DER
    /// (a domain-separated hash of the secret for HMAC). Derived, never chosen by a signer.
    public static func keyID(_ key: PublicKeyMaterial) -> String {
        var hasher = SHA256()
        if case .hmac = key { hasher.update(data: Array("warden-hmac-kid\0".utf8)) }
        hasher.update(data: publicDER(key))
        return Base64URL.encode(Array(hasher.finalize()).prefix(16))
    }
}
