import Foundation
import GRDB
import WardenCore
import WardenHome

/// A signed statement by an authorizer: "tool digest D may run for tenant T (until not_after),
/// and at least `require` distinct authorizers must agree".
public struct AuthorizationStatement: Sendable, Equatable {
    public static let jwsType = "warden-authorization+jws"

    public var digest: ArtifactDigest
    public var tenant: String
    /// Minimum number of distinct authorizer signatures (M of N). An authorizer can raise the
    /// bar for a digest but never lower it: the effective threshold is the maximum stated.
    public var require: Int64
    public var notAfter: Int64?
    public var issuer: String
    public var issuedAt: Int64
    public var jti: String

    public var payload: JSONValue {
        [
            "v": 1, "digest": .string(digest.description), "tenant": .string(tenant), "require": .int(require),
            "not_after": notAfter.map { .int($0) } ?? .null, "iss": .string(issuer), "iat": .int(issuedAt), "jti": .string(jti),
        ]
    }

    public init(digest: ArtifactDigest, tenant: String, require: Int64, notAfter: Int64?, issuer: String, issuedAt: Int64, jti: String) {
        self.digest = digest
        self.tenant = tenant
        self.require = require
        self.notAfter = notAfter
        self.issuer = issuer
        self.issuedAt = issuedAt
        self.jti = jti
    }

    public init(payload: JSONValue) throws(WardenError) {
        var r = SchemaReader(payload, context: "authorization")
        guard try r.int("v") == 1 else { throw .denied("authorization.schema", "authorization: unsupported version") }
        let digest = try ArtifactDigest(parsing: try r.string("digest"), field: "authorization.digest")
        let tenant = try r.string("tenant")
        let require = try r.int("require")
        let notAfter = try r.optionalInt("not_after")
        let iss = try r.string("iss")
        let iat = try r.int("iat")
        let jti = try r.string("jti")
        try r.finish()
        guard (1...16).contains(require) else { throw .denied("authorization.schema", "authorization: require must be 1-16") }
        self.init(digest: digest, tenant: tenant, require: require, notAfter: notAfter, issuer: iss, issuedAt: iat, jti: jti)
    }

    /// Tenant names follow the key-name alphabet.
    public static func validateTenant(_ tenant: String) throws(WardenError) {
        guard Identifier.isValid(tenant) else { throw .usage("tenant.bad_name", "tenant \"\(tenant.prefix(80))\": use 1-64 of A-Z a-z 0-9 . _ -") }
    }
}

/// The outcome of an authorization check.
public struct AuthorizationStatus: Sendable {
    public let digest: ArtifactDigest
    public let tenant: String
    /// Distinct authorizer key ids whose statements verified.
    public let validSigners: [String]
    public let required: Int
    /// Why statements that exist were not counted.
    public let rejected: [String]
    public var isAuthorized: Bool { validSigners.count >= required }
}

/// Authorizations stored in `warden.db`; every check re-verifies each stored statement's
/// signature, signer role, key validity and expiry, so the table is never trusted on its own.
public final class Authorizations: Sendable {
    public let trust: TrustStore

    public init(trust: TrustStore) { self.trust = trust }

    /// Signs and records an authorization of `digest` for `tenant`.
    @discardableResult
    public func authorize(digest: ArtifactDigest, tenant: String, signer: Signer, require: Int, notAfter: Date?, now: Date = Date()) throws(WardenError) -> String {
        try AuthorizationStatement.validateTenant(tenant)
        guard (1...16).contains(require) else { throw .usage("authz.bad_require", "--require must be between 1 and 16") }
        let statement = AuthorizationStatement(
            digest: digest, tenant: tenant, require: Int64(require), notAfter: notAfter.map(Timestamp.unix),
            issuer: signer.kid, issuedAt: Timestamp.unix(now), jti: Base64URL.encode((0..<16).map { _ in UInt8.random(in: 0...255) }))
        let compact = try JWS.sign(payload: statement.payload, type: AuthorizationStatement.jwsType, signer: signer)
        // Verify what we are about to store, through the same path every check uses.
        _ = try verify(compact, now: now)
        try record(compact, statement: statement, now: now)
        return compact
    }

    /// Records an already signed statement (e.g. produced by an authorizer on another machine).
    public func importStatement(_ compact: String, now: Date = Date()) throws(WardenError) {
        let statement = try verify(compact, now: now)
        try record(compact, statement: statement, now: now)
    }

    private func record(_ compact: String, statement s: AuthorizationStatement, now: Date) throws(WardenError) {
        try trust.db.write { db in
            try db.execute(sql: """
                INSERT INTO authorization (digest, tenant, authorizer_kid, required, not_after, statement_jws, created_at, revoked_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, NULL)
                ON CONFLICT (digest, tenant, authorizer_kid) DO UPDATE SET
                    required = excluded.required, not_after = excluded.not_after, statement_jws = excluded.statement_jws,
                    created_at = excluded.created_at, revoked_at = NULL
                """, arguments: [s.digest.description, s.tenant, s.issuer, s.require, s.notAfter, compact, Timestamp.unix(now)])
        }
    }

    /// Verifies one statement: signature by a usable authorizer key, schema, issuer, expiry.
    public func verify(_ compact: String, now: Date) throws(WardenError) -> AuthorizationStatement {
        let jws = try JWS.verify(compact, type: AuthorizationStatement.jwsType, role: .authorizer, trust: trust, now: now)
        let s = try AuthorizationStatement(payload: jws.payload)
        guard s.issuer == jws.key.kid else {
            throw .denied("authz.iss_mismatch", "authorization \"iss\" is not the signing key \(jws.key.kid)")
        }
        if let na = s.notAfter, na < Timestamp.unix(now) {
            throw .denied("authz.expired", "authorization by \(jws.key.name) for tenant \(s.tenant) expired at \(Timestamp.rfc3339(Date(timeIntervalSince1970: Double(na))))")
        }
        return s
    }

    /// Counts valid, distinct authorizer signatures for (`digest`, `tenant`).
    public func status(digest: ArtifactDigest, tenant: String, now: Date = Date()) throws(WardenError) -> AuthorizationStatus {
        let rows = try trust.db.read { db in
            try Row.fetchAll(db, sql: "SELECT statement_jws, authorizer_kid FROM authorization WHERE digest = ? AND tenant = ? AND revoked_at IS NULL",
                             arguments: [digest.description, tenant])
        }
        var signers: Set<String> = []
        var required = 1
        var rejected: [String] = []
        for row in rows {
            let compact: String = row["statement_jws"]
            do {
                let s = try verify(compact, now: now)
                guard s.digest == digest, s.tenant == tenant else {
                    rejected.append("statement indexed under another digest/tenant")
                    continue
                }
                signers.insert(s.issuer)
                required = max(required, Int(s.require))
            } catch {
                rejected.append("\(error.message) [\(error.code)]")
            }
        }
        return AuthorizationStatus(digest: digest, tenant: tenant, validSigners: signers.sorted(), required: required, rejected: rejected)
    }

    /// Throws a denial unless `digest` is authorized for `tenant` now.
    public func require(digest: ArtifactDigest, tenant: String, now: Date = Date()) throws(WardenError) -> AuthorizationStatus {
        let s = try status(digest: digest, tenant: tenant, now: now)
        guard s.isAuthorized else {
            if s.validSigners.isEmpty {
                let why = s.rejected.isEmpty ? "" : " (rejected: \(s.rejected.joined(separator: "; ")))"
                throw .denied("authz.missing", "\(digest) is not authorized for tenant \"\(tenant)\"\(why)")
            }
            throw .denied("authz.insufficient", "\(digest) has \(s.validSigners.count) of \(s.required) required authorizer signatures for tenant \"\(tenant)\"")
        }
        return s
    }

    /// Revokes every authorization of `digest` for `tenant`; returns how many were revoked.
    public func revoke(digest: ArtifactDigest, tenant: String, now: Date = Date()) throws(WardenError) -> Int {
        try trust.db.write { db in
            try db.execute(sql: "UPDATE authorization SET revoked_at = ? WHERE digest = ? AND tenant = ? AND revoked_at IS NULL",
                           arguments: [Timestamp.unix(now), digest.description, tenant])
            return db.changesCount
        }
    }

    /// All non-revoked statements, for listings.
    public func list() throws(WardenError) -> [(digest: String, tenant: String, kid: String, required: Int)] {
        try trust.db.read { db in
            try Row.fetchAll(db, sql: "SELECT digest, tenant, authorizer_kid, required FROM authorization WHERE revoked_at IS NULL ORDER BY digest, tenant")
                .map { (digest: $0["digest"], tenant: $0["tenant"], kid: $0["authorizer_kid"], required: $0["required"]) }
        }
    }
}
