import Foundation
import WardenCore

/// A manifest whose signature, publisher key, schema and validity period have been checked.
public struct VerifiedManifest: Sendable {
    public let manifest: ToolManifest
    public let jws: VerifiedJWS
    /// Every check that passed, in order, for `warden tool verify` to print.
    public let checks: [String]
}

/// Admission checks for signed manifests (deny by default; each failure a distinct code).
public enum ManifestVerifier {
    /// Clock skew tolerated for `iat` in the future.
    public static let allowedSkew: TimeInterval = 60

    /// Verifies a compact manifest JWS against trusted publisher keys.
    public static func verify(_ compact: String, now: Date, memo: SignatureMemo? = nil,
                              resolve: (String) throws(WardenError) -> TrustedKey?) throws(WardenError) -> VerifiedManifest {
        let jws = try JWS.verify(compact, type: ToolManifest.jwsType, role: .publisher, now: now, memo: memo, resolve: resolve)
        var checks = [
            "structure: compact JWS, header {alg, kid, typ=\(ToolManifest.jwsType)}",
            "key: \(jws.key.name) (\(jws.key.kid)), role publisher, \(jws.key.alg.rawValue), not revoked, not expired",
            "signature: valid",
        ]
        let manifest = try ToolManifest(payload: jws.payload)
        checks.append("schema: manifest v1, closed")
        guard manifest.issuer == jws.key.kid else {
            throw .denied("manifest.iss_mismatch", "manifest \"iss\" \(manifest.issuer.prefix(40)) is not the signing key \(jws.key.kid)")
        }
        let nowSeconds = Timestamp.unix(now)
        guard manifest.expiresAt > nowSeconds else {
            throw .denied("manifest.expired", "manifest \(manifest.reference) expired at \(Timestamp.rfc3339(Date(timeIntervalSince1970: Double(manifest.expiresAt))))")
        }
        guard Double(manifest.issuedAt) <= now.timeIntervalSince1970 + allowedSkew else {
            throw .denied("manifest.iat_future", "manifest \(manifest.reference) is issued in the future (iat \(manifest.issuedAt), now \(nowSeconds))")
        }
        checks.append("validity: issued \(Timestamp.rfc3339(Date(timeIntervalSince1970: Double(manifest.issuedAt)))), expires \(Timestamp.rfc3339(Date(timeIntervalSince1970: Double(manifest.expiresAt))))")
        return VerifiedManifest(manifest: manifest, jws: jws, checks: checks)
    }

    /// Verifies against the trust store.
    public static func verify(_ compact: String, trust: TrustStore, now: Date) throws(WardenError) -> VerifiedManifest {
        try verify(compact, now: now, memo: trust.signatures) { (kid: String) throws(WardenError) -> TrustedKey? in try trust.key(kid: kid) }
    }

    /// Streams the artifact at `path` and checks its size and digest against the manifest.
    /// Returns what admission found in a native (ELF) artifact, nil for any other file.
    @discardableResult
    public static func checkArtifact(_ manifest: ToolManifest, path: String) throws(WardenError) -> NativeArtifact? {
        let (digest, size) = try ArtifactHasher.hash(path: path)
        guard size == manifest.size else {
            throw .denied("artifact.size_mismatch", "\(path): artifact is \(size) bytes; the manifest says \(manifest.size)")
        }
        guard digest == manifest.digest else {
            throw .denied("artifact.digest_mismatch", "\(path): artifact digest \(digest) does not match the manifest's \(manifest.digest)")
        }
        let native = try NativeArtifact.inspect(path: path)
        try native?.check(against: manifest)
        return native
    }
}
