import Foundation
import WardenCore
import WardenHome
@testable import WardenTrust

/// A fresh home in a temporary directory with a trust store, armory and authorizations.
final class TrustFixture {
    let dir: String
    let home: Home
    let db: WardenDatabase
    let trust: TrustStore
    let armory: Armory
    let authz: Authorizations

    init() throws {
        dir = NSTemporaryDirectory() + "warden-trust-\(UUID().uuidString)"
        home = try Home.open(at: dir)
        db = try WardenDatabase(home: home)
        trust = TrustStore(home: home, db: db)
        armory = Armory(trust: trust)
        authz = Authorizations(trust: trust)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    /// Writes `contents` to a new file in the fixture directory and returns its path.
    func file(_ name: String, _ contents: String) -> String {
        let path = dir + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(contents.utf8))
        return path
    }

    /// Generates a key and returns its signer.
    func signer(_ name: String, _ role: KeyRole, _ alg: JWSAlgorithm = .EdDSA, notAfter: Date? = nil) throws -> Signer {
        _ = try trust.generate(name: name, alg: alg, role: role, notAfter: notAfter)
        return try trust.signer(named: name, role: role)
    }

    /// A signed manifest for a new artifact file.
    func signedTool(_ name: String = "hello", version: String = "1.0.0", content: String = "#!/bin/sh\necho hi\n",
                    signer: Signer, validity: TimeInterval = 86400, now: Date = Date()) throws -> (manifest: ToolManifest, jws: String, artifact: String) {
        let artifact = file("\(name)-\(version).bin", content)
        let (m, jws) = try ManifestSigner.sign(artifactPath: artifact, name: name, version: version, entrypoint: nil, network: [],
                                               writable: [], exposure: [], validity: validity, signer: signer, now: now)
        return (m, jws, artifact)
    }

    /// Builds a compact JWS from raw header and payload JSON text, signed by `signer` (or with
    /// a given raw signature), without any of the signing path's checks: the attacker's tool.
    static func forge(header: String, payload: String, signer: Signer? = nil, signature: [UInt8]? = nil) throws -> String {
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
        let sig = try signature ?? signer?.sign(Array(input.utf8)) ?? [0]
        return input + "." + Base64URL.encode(sig)
    }

    /// Canonical payload text of a manifest with `edit` applied to its JSON object.
    static func payloadText(_ m: ToolManifest, edit: (inout [String: JSONValue]) -> Void = { _ in }) -> String {
        var o = m.payload.objectValue!
        edit(&o)
        return CanonicalJSON.string(.object(o))
    }

    static func header(alg: String, kid: String, typ: String = ToolManifest.jwsType) -> String {
        CanonicalJSON.string(["alg": .string(alg), "kid": .string(kid), "typ": .string(typ)])
    }
}

/// Runs `body` and returns the `WardenError` code it threw, or nil if it did not throw.
func errorCode(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let e as WardenError {
        return e.code
    } catch {
        return "non-warden-error: \(error)"
    }
}
