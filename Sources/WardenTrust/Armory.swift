import Foundation
import GRDB
import WardenCore
import WardenHome

/// A tool in the armory index.
public struct ArmoryEntry: Sendable {
    public let manifest: ToolManifest
    public let manifestJWS: String
    public let addedAt: Date
    public let revokedAt: Date?

    public var json: JSONValue {
        [
            "name": .string(manifest.name), "version": .string(manifest.version), "digest": .string(manifest.digest.description),
            "size": .int(manifest.size), "publisher": .string(manifest.issuer),
            "added": .string(Timestamp.rfc3339(addedAt)),
            "expires": .string(Timestamp.rfc3339(Date(timeIntervalSince1970: Double(manifest.expiresAt)))),
            "revoked_at": revokedAt.map { .string(Timestamp.rfc3339($0)) } ?? .null,
            "entrypoint": .array(manifest.entrypoint.map { .string($0) }),
        ]
    }
}

/// The armory: verified manifests indexed in `warden.db` with their artifacts in the
/// content-addressed store.
public final class Armory: Sendable {
    public let trust: TrustStore
    public let store: ArtifactStore

    public init(trust: TrustStore) {
        self.trust = trust
        self.store = ArtifactStore(home: trust.home)
    }

    var db: WardenDatabase { trust.db }

    /// Verifies `compact` and the artifact at `artifactPath`, stores the artifact and indexes the
    /// manifest. Adding the identical manifest again is a no-op.
    @discardableResult
    public func add(manifestJWS compact: String, artifactPath: String, now: Date = Date()) throws(WardenError) -> VerifiedManifest {
        let verified = try ManifestVerifier.verify(compact, trust: trust, now: now)
        let m = verified.manifest
        // Index conflicts first: a replayed jti or a re-used version is refused before any copy.
        let existing: ArmoryEntry? = try entry(name: m.name, version: m.version)
        if let existing {
            guard existing.manifestJWS == compact else {
                throw .denied("tool.version_conflict", "\(m.reference) is already in the armory with another manifest (\(existing.manifest.digest)); publish a new version")
            }
        } else {
            let replay = try db.read { db in
                try String.fetchOne(db, sql: "SELECT name || '@' || version FROM tool WHERE publisher_kid = ? AND jti = ?", arguments: [m.issuer, m.jti])
            }
            if let replay {
                throw .denied("manifest.jti_replay", "manifest jti \(m.jti) was already used by \(replay); each manifest needs a fresh jti")
            }
        }
        // A native artifact for another machine, or with an undeclared native property, never
        // enters the armory (run time checks the sealed copy again, and the policy's rules).
        if let native = try NativeArtifact.inspect(path: artifactPath) { try native.check(against: m) }
        _ = try store.add(source: artifactPath, expected: m.digest, size: m.size)
        guard existing == nil else { return verified }
        try db.write { db in
            try db.execute(sql: """
                INSERT INTO tool (name, version, digest, size, publisher_kid, jti, manifest_jws, added_at, revoked_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)
                """, arguments: [m.name, m.version, m.digest.description, m.size, m.issuer, m.jti, compact, Timestamp.unix(now)])
        }
        return verified
    }

    /// Every indexed tool, by name then version.
    public func list() throws(WardenError) -> [ArmoryEntry] {
        try db.read { db in try Row.fetchAll(db, sql: "SELECT * FROM tool ORDER BY name, added_at, version").map(Self.decode) }
    }

    func entry(name: String, version: String) throws(WardenError) -> ArmoryEntry? {
        try db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM tool WHERE name = ? AND version = ?", arguments: [name, version]).map(Self.decode)
        }
    }

    /// Finds the tool a reference names (the newest added version for a bare name).
    public func resolve(_ ref: ToolReference) throws(WardenError) -> ArmoryEntry {
        let found: ArmoryEntry?
        switch ref {
        case .name(let n):
            found = try db.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM tool WHERE name = ? AND revoked_at IS NULL ORDER BY added_at DESC, rowid DESC LIMIT 1",
                                 arguments: [n]).map(Self.decode)
            }
        case .version(let n, let v):
            found = try entry(name: n, version: v)
        case .digest(let n, let d):
            found = try db.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM tool WHERE digest = ? AND (? IS NULL OR name = ?) ORDER BY added_at DESC LIMIT 1",
                                 arguments: [d.description, n, n]).map(Self.decode)
            }
        }
        guard let found else { throw .notFound("tool.unknown", "no tool \(ref) in the armory (warden tool list)") }
        return found
    }

    /// Marks a tool revoked: it can no longer be resolved by name or run.
    public func revoke(_ ref: ToolReference, now: Date = Date()) throws(WardenError) -> ArmoryEntry {
        let e = try resolve(ref)
        try db.write { db in
            try db.execute(sql: "UPDATE tool SET revoked_at = COALESCE(revoked_at, ?) WHERE name = ? AND version = ?",
                           arguments: [Timestamp.unix(now), e.manifest.name, e.manifest.version])
        }
        return try resolve(.version(name: e.manifest.name, version: e.manifest.version))
    }

    static func decode(_ row: Row) throws -> ArmoryEntry {
        let jws: String = row["manifest_jws"]
        // The index is a cache of signed data: the manifest is re-decoded from the JWS itself,
        // never from the indexed columns.
        let parsed = try JWS.parse(jws)
        let manifest = try ToolManifest(payload: parsed.payload)
        let added: Int64 = row["added_at"]
        let revoked: Int64? = row["revoked_at"]
        return ArmoryEntry(manifest: manifest, manifestJWS: jws, addedAt: Date(timeIntervalSince1970: Double(added)),
                           revokedAt: revoked.map { Date(timeIntervalSince1970: Double($0)) })
    }
}
