import ArgumentParser
import Foundation
import WardenCore
import WardenHome
import WardenTrust
import WardenELF

struct ToolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tool", abstract: "Sign, verify, add, authorize, revoke and list tools.",
        subcommands: [Sign.self, Verify.self, Add.self, Authorize.self, Revoke.self, List.self])

    /// Opened stores shared by the tool subcommands.
    struct Stores {
        let trust: TrustStore
        let armory: Armory
        let authorizations: Authorizations

        let home: Home
        let db: WardenDatabase

        init(_ global: GlobalOptions) throws(WardenError) {
            (home, db) = try global.openDatabase()
            trust = TrustStore(home: home, db: db)
            armory = Armory(trust: trust)
            authorizations = Authorizations(trust: trust)
        }

        /// The digest a reference names: given directly, or the armory entry's.
        func digest(of ref: ToolReference) throws(WardenError) -> ArtifactDigest {
            if case .digest(nil, let d) = ref { return d }
            return try armory.resolve(ref).manifest.digest
        }
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a signed manifest (compact JWS) for an artifact.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The artifact file.") var artifact: String
        @Option(help: "Tool name.") var name: String
        @Option(help: "Tool version.") var version: String
        @Option(help: "Publisher key name.") var key: String
        @Option(parsing: .singleValue, help: "Entrypoint argument (repeat; default /tool/NAME, the artifact itself).")
        var entrypoint: [String] = []
        @Option(parsing: .singleValue, help: "Declared network need, CIDR[:PORTS][/PROTO] or HOST[:PORTS][/PROTO] (repeatable; granted only where the policy allows it).") var network: [String] = []
        @Option(parsing: .singleValue, help: "Declared writable path (repeatable).") var writable: [String] = []
        @Option(parsing: .singleValue, help: "Exposure label: private_data, untrusted_content, exfiltration (repeatable).")
        var exposure: [String] = []
        @Option(parsing: .singleValue, help: "Native property the ELF artifact has and needs: exec_stack, text_relocations, setuid (repeatable; admitted only where the policy allows it).")
        var native: [String] = []
        @Option(help: "Validity, e.g. 90d, 12h (default 365d).") var expires = "365d"
        @Option(name: .shortAndLong, help: "Output file for the JWS.") var output: String

        func run() async throws {
            let validity = try Timestamp.parseDuration(expires, field: "--expires")
            let stores = try Stores(global)
            let signer = try stores.trust.signer(named: key, role: .publisher)
            let (manifest, jws) = try ManifestSigner.sign(
                artifactPath: artifact, name: name, version: version, entrypoint: entrypoint.isEmpty ? nil : entrypoint,
                network: network, writable: writable, exposure: exposure, native: native, validity: validity, signer: signer)
            do { try Data((jws + "\n").utf8).write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
                throw WardenError.usage("file.write_failed", "\(output): cannot write: \(error.localizedDescription)")
            }
            print("signed \(manifest.reference) \(manifest.digest) (\(manifest.size) bytes) with \(signer.name) → \(output)")
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Verify a signed manifest (and optionally its artifact); print what was checked.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Manifest JWS file.") var file: String
        @Option(help: "Artifact to check against the manifest's digest and size.") var artifact: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let compact = try readJWS(file)
            let stores = try Stores(global)
            let v = try ManifestVerifier.verify(compact, trust: stores.trust, now: Date())
            var checks = v.checks
            var native: NativeReport?
            if let artifact {
                let found = try ManifestVerifier.checkArtifact(v.manifest, path: artifact)
                checks.append("artifact: \(artifact) has \(v.manifest.digest), \(v.manifest.size) bytes")
                native = found.map { NativeReport($0, path: artifact) }
                if let native { checks.append(contentsOf: native.checks) }
            }
            if json {
                var o: [String: JSONValue] = ["valid": true, "manifest": v.manifest.payload, "checks": .array(checks.map { .string($0) })]
                if let native { o["native"] = native.json }
                Terminal.json(.object(o))
            } else {
                print("valid: \(v.manifest.reference) \(v.manifest.digest)")
                for c in checks { print("  ✓ \(DisplayText.escape(c))") }
                for w in native?.warnings ?? [] { print("  ! \(DisplayText.escape(w))") }
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Verify a manifest and artifact, store the artifact, index the tool.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Manifest JWS file.") var file: String
        @Argument(help: "The artifact file.") var artifact: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let compact = try readJWS(file)
            let stores = try Stores(global)
            let v = try stores.armory.add(manifestJWS: compact, artifactPath: artifact)
            try await AuditTrail.recordAdministration(home: stores.home, db: stores.db, .toolAdded, subject: v.manifest.reference, details: [
                "digest": .string(v.manifest.digest.description), "publisher": .string(v.manifest.issuer), "manifest_jws": .string(compact),
            ])
            if json {
                Terminal.json(["added": true, "manifest": v.manifest.payload])
            } else {
                print("added \(v.manifest.reference) \(v.manifest.digest)")
            }
        }
    }

    struct Authorize: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign and record an authorization of a tool's digest for a tenant.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "NAME@VERSION, NAME@sha256:HEX or sha256:HEX.") var tool: String
        @Option(help: "Tenant.") var tenant: String
        @Option(help: "Authorizer key name.") var key: String
        @Option(name: .customLong("not-after"), help: "Expiry (RFC 3339 time or YYYY-MM-DD).") var notAfter: String?
        @Option(help: "Distinct authorizer signatures required before the digest counts as authorized (M of N).")
        var require = 1
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let ref = try ToolReference.parse(tool)
            let notAfter = try notAfter.map { (t: String) throws(WardenError) in try Timestamp.parse(t, field: "--not-after") }
            let stores = try Stores(global)
            let digest = try stores.digest(of: ref)
            let signer = try stores.trust.signer(named: key, role: .authorizer)
            try stores.authorizations.authorize(digest: digest, tenant: tenant, signer: signer, require: require, notAfter: notAfter)
            let status = try stores.authorizations.status(digest: digest, tenant: tenant)
            try await AuditTrail.recordAdministration(home: stores.home, db: stores.db, .authorization, tenant: tenant, subject: digest.description, details: [
                "authorizer": .string(signer.kid), "require": .int(Int64(require)), "signatures": .int(Int64(status.validSigners.count)),
                "authorized": .bool(status.isAuthorized),
            ])
            if json {
                Terminal.json(["digest": .string(digest.description), "tenant": .string(tenant), "authorizer": .string(signer.kid),
                               "signatures": .int(Int64(status.validSigners.count)), "required": .int(Int64(status.required)),
                               "authorized": .bool(status.isAuthorized)])
            } else {
                print("authorized \(digest) for tenant \(tenant) by \(signer.name) (\(status.validSigners.count) of \(status.required) required)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a tool, or with --tenant its authorizations for that tenant.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "NAME@VERSION, NAME@sha256:HEX or sha256:HEX.") var tool: String
        @Option(help: "Revoke only the authorizations for this tenant.") var tenant: String?

        func run() async throws {
            let ref = try ToolReference.parse(tool)
            let stores = try Stores(global)
            if let tenant {
                let digest = try stores.digest(of: ref)
                let n = try stores.authorizations.revoke(digest: digest, tenant: tenant)
                try await AuditTrail.recordAdministration(home: stores.home, db: stores.db, .authorization, tenant: tenant, subject: digest.description,
                                                          decision: "deny", details: ["revoked": .int(Int64(n))])
                print("revoked \(n) authorization(s) of \(digest) for tenant \(tenant)")
            } else {
                let e = try stores.armory.revoke(ref)
                try await AuditTrail.recordAdministration(home: stores.home, db: stores.db, .toolRejected, subject: e.manifest.reference,
                                                          decision: "deny", details: ["digest": .string(e.manifest.digest.description), "revoked": true])
                print("revoked tool \(e.manifest.reference) \(e.manifest.digest)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tools in the armory with their authorizations.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let stores = try Stores(global)
            let tools = try stores.armory.list()
            let auths = try stores.authorizations.list()
            func tenants(_ d: ArtifactDigest) -> [String] { Array(Set(auths.filter { $0.digest == d.description }.map(\.tenant))).sorted() }
            if json {
                Terminal.json(.array(tools.map { t in
                    var o = t.json.objectValue ?? [:]
                    o["tenants"] = .array(tenants(t.manifest.digest).map { .string($0) })
                    return .object(o)
                }))
                return
            }
            if tools.isEmpty { print("no tools (warden tool add FILE.jws ARTIFACT)"); return }
            for t in tools {
                let state = t.revokedAt == nil ? "" : "\tREVOKED"
                print("\(t.manifest.reference)\t\(t.manifest.digest)\ttenants: \(tenants(t.manifest.digest).joined(separator: ","))\(state)")
            }
        }
    }
}

/// Reads a compact JWS file (trailing newline allowed).
func readJWS(_ path: String) throws(WardenError) -> String {
    let bytes = try SecureFile.readSmall(path: path, limit: JWS.maxTokenBytes + 2)
    guard let text = String(validating: bytes, as: UTF8.self) else {
        throw .usage("jws.not_text", "\(path): not UTF-8 text")
    }
    return text.trimmingCharacters(in: .whitespacesAndNewlines)
}
