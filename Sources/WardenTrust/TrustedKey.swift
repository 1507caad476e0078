import Foundation
import WardenCore

/// A key in the trust store: its derived id, algorithm, single role, optional expiry and
/// revocation time.
public struct TrustedKey: Sendable, Equatable {
    public let name: String
    public let kid: String
    public let alg: JWSAlgorithm
    public let role: KeyRole
    public let publicKeyPEM: String
    /// True when the private key is in this home (`keys/<name>.pem`).
    public let hasPrivateKey: Bool
    public let notAfter: Date?
    public let revokedAt: Date?
    public let createdAt: Date

    public init(name: String, kid: String, alg: JWSAlgorithm, role: KeyRole, publicKeyPEM: String,
                hasPrivateKey: Bool, notAfter: Date?, revokedAt: Date?, createdAt: Date) {
        self.name = name
        self.kid = kid
        self.alg = alg
        self.role = role
        self.publicKeyPEM = publicKeyPEM
        self.hasPrivateKey = hasPrivateKey
        self.notAfter = notAfter
        self.revokedAt = revokedAt
        self.createdAt = createdAt
    }

    /// Throws unless this key may vouch for `role` at `now`: right role, not revoked, not expired.
    public func checkUsable(for role: KeyRole, at now: Date) throws(WardenError) {
        guard self.role == role else {
            throw .denied("trust.wrong_role", "key \"\(name)\" (\(kid)) has role \(self.role.rawValue), not \(role.rawValue)")
        }
        if let revokedAt, revokedAt <= now {
            throw .denied("trust.key_revoked", "key \"\(name)\" (\(kid)) was revoked at \(Timestamp.rfc3339(revokedAt))")
        }
        if let notAfter, notAfter < now {
            throw .denied("trust.key_expired", "key \"\(name)\" (\(kid)) expired at \(Timestamp.rfc3339(notAfter))")
        }
    }

    /// The public key material.
    public func publicKey() throws(WardenError) -> PublicKeyMaterial {
        try KeyCodec.publicKey(fromPEM: publicKeyPEM, source: "trust store key \"\(name)\"")
    }

    /// A JSON description for `--json` listings.
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "name": .string(name), "kid": .string(kid), "alg": .string(alg.rawValue), "role": .string(role.rawValue),
            "private": .bool(hasPrivateKey), "created": .string(Timestamp.rfc3339(createdAt)),
            "symmetric": .bool(alg.isSymmetric),
        ]
        o["not_after"] = notAfter.map { .string(Timestamp.rfc3339($0)) } ?? .null
        o["revoked_at"] = revokedAt.map { .string(Timestamp.rfc3339($0)) } ?? .null
        return .object(o)
    }
}
