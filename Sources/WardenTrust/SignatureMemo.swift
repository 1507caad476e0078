import Crypto
import Synchronization

/// Signature checks a long-lived process (`warden serve`) has already seen succeed.
///
/// Whether `signature` is valid for `message` under a public key is a pure function of those
/// three (and the algorithm): remembering a success and answering it again is exactly as strong
/// as recomputing it. Only the cryptographic check is remembered; everything around it — which
/// key a kid names, the key's role, expiry and revocation, the token's own claims — is decided
/// again on every use. Entries are SHA-256 digests of (algorithm, public key, message,
/// signature), each part length-prefixed; HMAC checks are never remembered (their "key" is the
/// secret). Bounded: when full, the memo starts over.
public final class SignatureMemo: Sendable {
    private let seen = Mutex<Set<SHA256.Digest>>([])
    private let capacity: Int

    /// `capacity`: successes kept at most (each costs about 100 bytes).
    public init(capacity: Int = 16_384) {
        self.capacity = max(1, capacity)
    }

    /// True when `signature` is valid for `message` under `key`: remembered, or verified now
    /// (and remembered when valid).
    func verify(_ key: PublicKeyMaterial, _ signature: [UInt8], _ message: [UInt8]) -> Bool {
        guard let entry = Self.entry(key, signature, message) else { return key.verify(signature, for: message) }
        if seen.withLock({ $0.contains(entry) }) { return true }
        guard key.verify(signature, for: message) else { return false }
        seen.withLock {
            if $0.count >= capacity { $0.removeAll(keepingCapacity: true) }
            $0.insert(entry)
        }
        return true
    }

    /// Successes remembered now (tests).
    var count: Int { seen.withLock { $0.count } }

    static func entry(_ key: PublicKeyMaterial, _ signature: [UInt8], _ message: [UInt8]) -> SHA256.Digest? {
        guard let raw = key.rawPublicBytes else { return nil }
        var h = SHA256()
        func part(_ bytes: [UInt8]) {
            var n = UInt64(bytes.count).bigEndian
            withUnsafeBytes(of: &n) { h.update(bufferPointer: $0) }
            h.update(data: bytes)
        }
        part(Array(key.algorithm.rawValue.utf8))
        part(raw)
        part(message)
        part(signature)
        return h.finalize()
    }
}

extension PublicKeyMaterial {
    /// The public key's raw bytes; nil for HMAC, whose key is a secret.
    var rawPublicBytes: [UInt8]? {
        switch self {
        case .ed25519(let k): [UInt8](k.rawRepresentation)
        case .p256(let k): [UInt8](k.x963Representation)
        case .hmac: nil
        }
    }
}
