import Foundation
import GRDB
import WardenCore
import WardenHome

/// The trust store: every key this home knows, in `warden.db` (`trusted_key`), with private
/// keys as PKCS#8 PEM files under `keys/` (mode 0600).
public final class TrustStore: Sendable {
    public let home: Home
    public let db: WardenDatabase
    /// Signature checks already made by a long-lived process (nil: none remembered).
    public let signatures: SignatureMemo?

    public init(home: Home, db: WardenDatabase, signatures: SignatureMemo? = nil) {
        self.home = home
        self.db = db
        self.signatures = signatures
    }

    /// Key names are path components under `keys/`: a conservative alphabet, no dots first.
    public static func validateName(_ name: String) throws(WardenError) {
        guard Identifier.isValid(name) else {
            throw .usage("key.bad_name", "key name \"\(name.prefix(80))\": use 1-64 characters from A-Z a-z 0-9 . _ - (not starting with .)")
        }
    }

    func privateKeyPath(_ name: String) -> String { home.keysDirectory + "/\(name).pem" }

    /// Generates a key pair (or HMAC secret), stores the private key under `keys/` and trusts
    /// the public half for `role`.
    public func generate(name: String, alg: JWSAlgorithm, role: KeyRole, notAfter: Date? = nil, now: Date = Date()) throws(WardenError) -> TrustedKey {
        try Self.validateName(name)
        if role == .runner && alg != .EdDSA {
            throw .usage("key.runner_alg", "runner keys sign the audit ledger and must be Ed25519 (--alg ed25519)")
        }
        guard try lookup(name: name) == nil else {
            throw .usage("key.exists", "a key named \"\(name)\" already exists")
        }
        let material = PrivateKeyMaterial.generate(alg)
        let path = privateKeyPath(name)
        try SecureFile.writeNew(path: path, contents: Array(KeyCodec.privatePEM(material).utf8), mode: 0o600)
        do {
            return try insert(name: name, publicKey: material.publicKey, role: role, hasPrivate: true, notAfter: notAfter, now: now)
        } catch {
            unlink(path)
            throw error
        }
    }

    /// Trusts someone else's public key (PEM) for `role`.
    public func trust(pem: String, source: String, name: String, role: KeyRole, notAfter: Date?, now: Date = Date()) throws(WardenError) -> TrustedKey {
        try Self.validateName(name)
        let key = try KeyCodec.publicKey(fromPEM: pem, source: source)
        if role == .runner, key.algorithm != .EdDSA {
            throw .usage("key.runner_alg", "\(source): runner keys must be Ed25519")
        }
        return try insert(name: name, publicKey: key, role: role, hasPrivate: false, notAfter: notAfter, now: now)
    }

    private func insert(name: String, publicKey: PublicKeyMaterial, role: KeyRole, hasPrivate: Bool, notAfter: Date?, now: Date) throws(WardenError) -> TrustedKey {
        let key = TrustedKey(name: name, kid: KeyCodec.keyID(publicKey), alg: publicKey.algorithm, role: role,
                             publicKeyPEM: KeyCodec.publicPEM(publicKey), hasPrivateKey: hasPrivate,
                             notAfter: notAfter, revokedAt: nil, createdAt: now)
        try db.write { db in
            if let existing = try Row.fetchOne(db, sql: "SELECT name FROM trusted_key WHERE name = ? OR kid = ?", arguments: [name, key.kid]) {
                let other: String = existing["name"]
                throw WardenError.usage("key.exists", other == name
                    ? "a key named \"\(name)\" already exists"
                    : "this public key is already trusted as \"\(other)\" (kid \(key.kid))")
            }
            try db.execute(sql: """
                INSERT INTO trusted_key (name, kid, alg, role, public_pem, has_private, not_after, revoked_at, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)
                """, arguments: [name, key.kid, key.alg.rawValue, role.rawValue, key.publicKeyPEM, hasPrivate,
                                 notAfter.map(Timestamp.unix), Timestamp.unix(now)])
        }
        return key
    }

    /// Marks a key revoked from `now` on; everything it signs is rejected from then.
    public func revoke(name: String, now: Date = Date()) throws(WardenError) -> TrustedKey {
        let key = try key(named: name)
        guard key.revokedAt == nil else { return key }
        try db.write { db in
            try db.execute(sql: "UPDATE trusted_key SET revoked_at = ? WHERE name = ?", arguments: [Timestamp.unix(now), name])
        }
        return try self.key(named: name)
    }

    /// Every key, by name.
    public func list() throws(WardenError) -> [TrustedKey] {
        try db.read { db in try Row.fetchAll(db, sql: "SELECT * FROM trusted_key ORDER BY name").map(Self.decode) }
    }

    /// The key called `name`; `key.unknown` (exit 127) when absent.
    public func key(named name: String) throws(WardenError) -> TrustedKey {
        guard let key = try lookup(name: name) else {
            throw .notFound("key.unknown", "no key named \"\(name.prefix(80))\" in the trust store")
        }
        return key
    }

    /// The key whose id is `kid`, or nil.
    public func key(kid: String) throws(WardenError) -> TrustedKey? {
        try db.read { db in try Row.fetchOne(db, sql: "SELECT * FROM trusted_key WHERE kid = ?", arguments: [kid]).map(Self.decode) }
    }

    private func lookup(name: String) throws(WardenError) -> TrustedKey? {
        try db.read { db in try Row.fetchOne(db, sql: "SELECT * FROM trusted_key WHERE name = ?", arguments: [name]).map(Self.decode) }
    }

    /// A signer for the private key `name`, which must hold `role` and be usable now.
    public func signer(named name: String, role: KeyRole, now: Date = Date()) throws(WardenError) -> Signer {
        let key = try key(named: name)
        try key.checkUsable(for: role, at: now)
        guard key.hasPrivateKey else {
            throw .usage("key.no_private", "key \"\(name)\" is a trusted public key; its private half is not in this home")
        }
        let path = privateKeyPath(name)
        let text = try SecureFile.readPrivate(path: path)
        let material = try KeyCodec.privateKey(fromPEM: text, source: path)
        guard KeyCodec.keyID(material.publicKey) == key.kid else {
            throw .usage("key.mismatch", "\(path): private key does not match the trusted key \"\(name)\" (kid \(key.kid))")
        }
        return Signer(kid: key.kid, alg: material.algorithm, name: name, key: material)
    }

    /// The single usable key with `role` that has its private half here, when exactly one exists.
    public func soleSigner(role: KeyRole, now: Date = Date()) throws(WardenError) -> Signer {
        let candidates = try list().filter { $0.role == role && $0.hasPrivateKey && $0.revokedAt == nil && ($0.notAfter.map { $0 >= now } ?? true) }
        guard candidates.count == 1, let only = candidates.first else {
            throw .usage(candidates.isEmpty ? "key.none_for_role" : "key.ambiguous_role",
                         candidates.isEmpty
                             ? "no usable \(role.rawValue) key with a private half in this home (warden key generate NAME --role \(role.rawValue))"
                             : "several \(role.rawValue) keys (\(candidates.map(\.name).joined(separator: ", "))); name one with --key")
        }
        return try signer(named: only.name, role: role, now: now)
    }

    static func decode(_ row: Row) throws -> TrustedKey {
        let algText: String = row["alg"]
        let roleText: String = row["role"]
        guard let alg = JWSAlgorithm(rawValue: algText), let role = KeyRole(rawValue: roleText) else {
            throw WardenError.usage("db.corrupt", "trusted_key row has unknown alg/role \(algText)/\(roleText)")
        }
        let notAfter: Int64? = row["not_after"]
        let revokedAt: Int64? = row["revoked_at"]
        let created: Int64 = row["created_at"]
        return TrustedKey(name: row["name"], kid: row["kid"], alg: alg, role: role, publicKeyPEM: row["public_pem"],
                          hasPrivateKey: row["has_private"], notAfter: notAfter.map { Date(timeIntervalSince1970: Double($0)) },
                          revokedAt: revokedAt.map { Date(timeIntervalSince1970: Double($0)) },
                          createdAt: Date(timeIntervalSince1970: Double(created)))
    }
}

/// A private key ready to sign, with the id and algorithm verifiers will look up.
public struct Signer: Sendable {
    public let kid: String
    public let alg: JWSAlgorithm
    /// The trust-store name of the key.
    public let name: String
    let key: PrivateKeyMaterial

    public init(kid: String, alg: JWSAlgorithm, name: String, key: PrivateKeyMaterial) {
        self.kid = kid
        self.alg = alg
        self.name = name
        self.key = key
    }

    /// Signs `message` with the private key.
    public func sign(_ message: [UInt8]) throws(WardenError) -> [UInt8] { try key.sign(message) }

    /// The public half.
    public var publicKey: PublicKeyMaterial { key.publicKey }
}
