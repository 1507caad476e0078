import Foundation
import WardenCore
import WardenNet

/// The signed description of a tool: what artifact it is, how it starts, what it needs.
///
/// The payload schema is closed: every member below is required, nothing else is allowed, so
/// what a verifier checks is exactly what a signer saw.
public struct ToolManifest: Sendable, Equatable {
    public static let jwsType = "warden-manifest+jws"
    public static let schemaVersion: Int64 = 1

    public var name: String
    public var version: String
    public var digest: ArtifactDigest
    public var size: Int64
    /// Argv prefix. The artifact is at `/tool/<name>` inside the sandbox.
    public var entrypoint: [String]
    /// Declared network needs (`CIDR[:port]`), granted only if the policy also allows them.
    public var network: [String]
    /// Declared writable paths (relative to the workspace).
    public var writable: [String]
    /// Exposure labels: `private_data`, `untrusted_content`, `exfiltration`.
    public var exposure: [String]
    /// Native-code properties the publisher declares the artifact has and needs, from
    /// `nativeProperties` (`exec_stack`, `text_relocations`, `setuid`): admission refuses an
    /// ELF artifact with one of them unless it is declared here *and* the policy allows it.
    /// Optional in the payload (absent when empty, so older manifests keep their bytes).
    public var native: [String] = []
    /// Key id of the publisher; must equal the JWS `kid`.
    public var issuer: String
    public var issuedAt: Int64
    public var expiresAt: Int64
    public var jti: String

    public init(name: String, version: String, digest: ArtifactDigest, size: Int64, entrypoint: [String],
                network: [String] = [], writable: [String] = [], exposure: [String] = [],
                issuer: String, issuedAt: Int64, expiresAt: Int64, jti: String) {
        self.name = name
        self.version = version
        self.digest = digest
        self.size = size
        self.entrypoint = entrypoint
        self.network = network
        self.writable = writable
        self.exposure = exposure
        self.issuer = issuer
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.jti = jti
    }

    /// `name@version`.
    public var reference: String { "\(name)@\(version)" }

    /// Where the artifact appears inside the sandbox.
    public var sandboxPath: String { "/tool/\(name)" }

    public static let exposureLabels: Set<String> = ["private_data", "untrusted_content", "exfiltration"]
    public static let nativeProperties: Set<String> = ["exec_stack", "text_relocations", "setuid"]

    /// The payload JSON.
    public var payload: JSONValue {
        [
            "v": .int(Self.schemaVersion), "name": .string(name), "version": .string(version),
            "artifact": ["digest": .string(digest.description), "size": .int(size)],
            "entrypoint": .array(entrypoint.map { .string($0) }),
            "requires": .object(requires),
            "iss": .string(issuer), "iat": .int(issuedAt), "exp": .int(expiresAt), "jti": .string(jti),
        ]
    }

    private var requires: [String: JSONValue] {
        var r: [String: JSONValue] = [
            "network": .array(network.map { .string($0) }), "writable": .array(writable.map { .string($0) }),
            "exposure": .array(exposure.map { .string($0) }),
        ]
        if !native.isEmpty { r["native"] = .array(native.map { .string($0) }) }
        return r
    }

    /// Validates names the way the armory stores them.
    public static func validateName(_ name: String) throws(WardenError) {
        let ok = (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F || c == 0x2E
        } && !name.hasPrefix(".") && !name.hasPrefix("-")
        guard ok else {
            throw .usage("manifest.bad_name", "tool name \"\(name.prefix(80))\": use 1-64 of a-z 0-9 . _ - (not starting with . or -)")
        }
    }

    /// Validates a version string (semver-like: 1-64 of A-Z a-z 0-9 . + -).
    public static func validateVersion(_ version: String) throws(WardenError) {
        let ok = (1...64).contains(version.utf8.count) && version.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x2B || c == 0x2E
        }
        guard ok else {
            throw .usage("manifest.bad_version", "tool version \"\(version.prefix(80))\": use 1-64 of A-Z a-z 0-9 . + -")
        }
    }

    /// Checks `requires.native`: known properties, each once.
    public static func validateNative(_ native: [String]) throws(WardenError) {
        for p in native where !nativeProperties.contains(p) {
            throw .usage("manifest.bad_requires", "requires.native: unknown property \"\(p.prefix(40))\" (exec_stack, text_relocations, setuid)")
        }
        guard Set(native).count == native.count else { throw .usage("manifest.bad_requires", "requires.native: a property is listed twice") }
    }

    /// Checks the entrypoint and requirement lists.
    public static func validateLists(entrypoint: [String], network: [String], writable: [String], exposure: [String]) throws(WardenError) {
        guard (1...64).contains(entrypoint.count),
            entrypoint.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 4096 && !$0.utf8.contains(0) })
        else {
            throw .usage("manifest.bad_entrypoint", "entrypoint: 1-64 non-empty arguments without NUL bytes")
        }
        guard entrypoint[0].hasPrefix("/") else {
            throw .usage("manifest.bad_entrypoint", "entrypoint[0] \"\(entrypoint[0].prefix(80))\" must be an absolute path in the sandbox (the artifact is /tool/<name>)")
        }
        for (field, list) in [("requires.network", network), ("requires.writable", writable)] {
            guard list.count <= 64, list.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 256 && !$0.utf8.contains(0) }) else {
                throw .usage("manifest.bad_requires", "\(field): at most 64 non-empty entries of ≤ 256 bytes")
            }
        }
        for (i, rule) in network.enumerated() {
            do throws(EgressRuleError) { _ = try EgressRule(parsing: rule) } catch {
                throw .usage("manifest.bad_requires", "requires.network[\(i)] \"\(rule.prefix(80))\" (character \(error.offset + 1)): \(error.message)")
            }
        }
        for label in exposure where !exposureLabels.contains(label) {
            throw .usage("manifest.bad_requires", "requires.exposure: unknown label \"\(label.prefix(40))\" (private_data, untrusted_content, exfiltration)")
        }
    }
}

extension ToolManifest {
    /// Decodes a payload, enforcing the closed schema. Errors are `manifest.schema` denials.
    public init(payload: JSONValue) throws(WardenError) {
        var r = SchemaReader(payload, context: "manifest")
        let v = try r.int("v")
        guard v == Self.schemaVersion else { throw .denied("manifest.schema", "manifest: unsupported schema version \(v)") }
        let name = try r.string("name")
        let version = try r.string("version")
        var artifact = try r.object("artifact")
        let digestText = try artifact.string("digest")
        let size = try artifact.int("size")
        try artifact.finish()
        let entrypoint = try r.strings("entrypoint")
        var requires = try r.object("requires")
        let network = try requires.strings("network")
        let writable = try requires.strings("writable")
        let exposure = try requires.strings("exposure")
        let native = try requires.optionalStrings("native") ?? []
        try requires.finish()
        let iss = try r.string("iss")
        let iat = try r.int("iat")
        let exp = try r.int("exp")
        let jti = try r.string("jti")
        try r.finish()
        do throws(WardenError) {
            try Self.validateName(name)
            try Self.validateVersion(version)
            try Self.validateLists(entrypoint: entrypoint, network: network, writable: writable, exposure: exposure)
            guard (0...(Int64(1) << 40)).contains(size) else { throw WardenError.usage("manifest.schema", "artifact.size out of range") }
            guard (8...128).contains(jti.utf8.count) else { throw WardenError.usage("manifest.schema", "jti must be 8-128 bytes") }
            guard exp > iat else { throw WardenError.usage("manifest.schema", "exp must be after iat") }
            try Self.validateNative(native)
            self.init(name: name, version: version, digest: try ArtifactDigest(parsing: digestText, field: "artifact.digest"),
                      size: size, entrypoint: entrypoint, network: network, writable: writable, exposure: exposure,
                      issuer: iss, issuedAt: iat, expiresAt: exp, jti: jti)
            self.native = native
        } catch {
            throw .denied("manifest.schema", "manifest: \(error.message)")
        }
    }
}
