/// What a trusted key may vouch for. A key has exactly one role and is accepted only for it:
/// a publisher key cannot authorize, an approver key cannot sign the ledger.
public enum KeyRole: String, Sendable, CaseIterable, Codable {
    /// Signs tool manifests.
    case publisher
    /// Signs authorizations (tool digest → tenants).
    case authorizer
    /// Signs approval tokens for gated operations.
    case approver
    /// The node's own key: signs ledger records and checkpoints.
    case runner

    /// Parses a role named on the command line or in a document.
    public static func parse(_ text: String, field: String = "role") throws(WardenError) -> KeyRole {
        guard let role = KeyRole(rawValue: text) else {
            throw .usage("key.bad_role", "\(field): unknown role \"\(text)\"; expected one of publisher, authorizer, approver, runner")
        }
        return role
    }
}

/// JWS algorithms Warden accepts (RFC 7518 / RFC 8037 names). `none` is never accepted.
public enum JWSAlgorithm: String, Sendable, CaseIterable, Codable {
    /// Ed25519 (RFC 8037). The default.
    case EdDSA
    /// ECDSA P-256 with SHA-256, signature as 64-byte r‖s.
    case ES256
    /// HMAC-SHA-256. Symmetric: whoever can verify can forge. For test/CI setups only.
    case HS256

    /// The name used on the command line (`--alg`).
    public var cliName: String {
        switch self {
        case .EdDSA: "ed25519"
        case .ES256: "es256"
        case .HS256: "hs256"
        }
    }

    public var isSymmetric: Bool { self == .HS256 }

    /// Parses `ed25519|es256|hs256`.
    public static func parseCLI(_ text: String) throws(WardenError) -> JWSAlgorithm {
        guard let alg = allCases.first(where: { $0.cliName == text.lowercased() }) else {
            throw .usage("key.bad_alg", "--alg: unknown algorithm \"\(text)\"; expected ed25519, es256 or hs256")
        }
        return alg
    }
}

import WardenCore
