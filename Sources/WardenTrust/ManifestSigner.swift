import Foundation
import WardenCore

/// Builds and signs a manifest for an artifact file.
public enum ManifestSigner {
    /// Hashes `artifactPath`, fills in the manifest and signs it with a publisher key.
    public static func sign(artifactPath: String, name: String, version: String, entrypoint: [String]?,
                            network: [String], writable: [String], exposure: [String], native: [String] = [],
                            validity: TimeInterval, signer: Signer, now: Date = Date()) throws(WardenError) -> (ToolManifest, String) {
        try ToolManifest.validateName(name)
        try ToolManifest.validateVersion(version)
        let entry = entrypoint ?? ["/tool/\(name)"]
        try ToolManifest.validateLists(entrypoint: entry, network: network, writable: writable, exposure: exposure)
        try ToolManifest.validateNative(native)
        let (digest, size) = try ArtifactHasher.hash(path: artifactPath)
        let iat = Timestamp.unix(now)
        var manifest = ToolManifest(
            name: name, version: version, digest: digest, size: size, entrypoint: entry, network: network,
            writable: writable, exposure: exposure, issuer: signer.kid, issuedAt: iat,
            expiresAt: iat + Int64(validity), jti: Base64URL.encode((0..<16).map { _ in UInt8.random(in: 0...255) }))
        manifest.native = native
        // What the bytes need is declared by the publisher, never guessed: signing an
        // artifact with an undeclared native property would only make a manifest admission refuses.
        try NativeArtifact.inspect(path: artifactPath)?.check(against: manifest)
        return (manifest, try JWS.sign(payload: manifest.payload, type: ToolManifest.jwsType, signer: signer))
    }
}
