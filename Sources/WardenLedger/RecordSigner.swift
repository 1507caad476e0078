import Crypto
import WardenCore
import WardenTrust

/// Signs ledger records and checkpoints. The ledger only accepts Ed25519: anyone with the
/// public key can verify, and nobody without the private key can forge (unlike an HMAC).
public protocol RecordSigner: Sendable {
    /// The key id written into every record's `kid`.
    var kid: String { get }
    /// The public half, for checkpoint note key hashes and self-checks.
    var publicKey: Curve25519.Signing.PublicKey { get }
    /// An Ed25519 signature (64 bytes) over `message`.
    func sign(_ message: [UInt8]) throws(WardenError) -> [UInt8]
}

/// Key ids exactly as the trust store derives them (`KeyCodec.keyID`).
public enum LedgerKeyID {
    public static func kid(of key: Curve25519.Signing.PublicKey) -> String { KeyCodec.keyID(.ed25519(key)) }
}

/// A signer over an in-memory swift-crypto Ed25519 key (tests, benchmarks, and the adapter
/// for the trust store's runner key).
public struct Ed25519RecordSigner: RecordSigner {
    private let key: Curve25519.Signing.PrivateKey
    public let kid: String
    public var publicKey: Curve25519.Signing.PublicKey { key.publicKey }

    public init(privateKey: Curve25519.Signing.PrivateKey, kid: String? = nil) {
        self.key = privateKey
        self.kid = kid ?? LedgerKeyID.kid(of: privateKey.publicKey)
    }

    public func sign(_ message: [UInt8]) throws(WardenError) -> [UInt8] {
        do {
            return Array(try key.signature(for: message))
        } catch {
            throw .denied("ledger.sign_failed", "Ed25519 signing failed: \(error)")
        }
    }
}

/// The public keys a verifier trusts, by kid.
public struct LedgerKeyring: Sendable {
    public let keys: [String: Curve25519.Signing.PublicKey]

    public init(keys: [String: Curve25519.Signing.PublicKey]) { self.keys = keys }

    /// A keyring whose kids are derived from the keys themselves.
    public init(publicKeys: [Curve25519.Signing.PublicKey]) {
        var k: [String: Curve25519.Signing.PublicKey] = [:]
        for key in publicKeys { k[LedgerKeyID.kid(of: key)] = key }
        keys = k
    }
}
