import Crypto
import Foundation
import WardenCore

/// A private (signing) key.
public enum PrivateKeyMaterial: Sendable {
    case ed25519(Curve25519.Signing.PrivateKey)
    case p256(P256.Signing.PrivateKey)
    /// An HMAC-SHA-256 secret (≥ 32 bytes).
    case hmac([UInt8])

    /// A fresh random key for `alg`.
    public static func generate(_ alg: JWSAlgorithm) -> PrivateKeyMaterial {
        switch alg {
        case .EdDSA: .ed25519(Curve25519.Signing.PrivateKey())
        case .ES256: .p256(P256.Signing.PrivateKey())
        case .HS256: .hmac(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
        }
    }

    public var algorithm: JWSAlgorithm {
        switch self {
        case .ed25519: .EdDSA
        case .p256: .ES256
        case .hmac: .HS256
        }
    }

    public var publicKey: PublicKeyMaterial {
        switch self {
        case .ed25519(let k): .ed25519(k.publicKey)
        case .p256(let k): .p256(k.publicKey)
        case .hmac(let s): .hmac(s)
        }
    }

    /// Signs `message`: Ed25519 (64 bytes), ES256 raw r‖s (64 bytes), or HMAC-SHA-256 (32 bytes).
    public func sign(_ message: [UInt8]) throws(WardenError) -> [UInt8] {
        do {
            switch self {
            case .ed25519(let k): return [UInt8](try k.signature(for: message))
            case .p256(let k): return [UInt8](try k.signature(for: message).rawRepresentation)
            case .hmac(let s):
                return Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: s)))
            }
        } catch {
            throw .usage("key.sign_failed", "signing failed: \(error)")
        }
    }
}

/// A public (verification) key; for HMAC, the shared secret.
public enum PublicKeyMaterial: Sendable {
    case ed25519(Curve25519.Signing.PublicKey)
    case p256(P256.Signing.PublicKey)
    case hmac([UInt8])

    public var algorithm: JWSAlgorithm {
        switch self {
        case .ed25519: .EdDSA
        case .p256: .ES256
        case .hmac: .HS256
        }
    }

    /// True when `signature` is valid for `message` under this key. Signature lengths are
    /// checked exactly; HMAC comparison is constant-time (swift-crypto).
    public func verify(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        switch self {
        case .ed25519(let k):
            return signature.count == 64 && k.isValidSignature(signature, for: message)
        case .p256(let k):
            guard signature.count == 64, let sig = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else {
                return false
            }
            return k.isValidSignature(sig, for: message)
        case .hmac(let s):
            return signature.count == 32
                && HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: message, using: SymmetricKey(data: s))
        }
    }
}
