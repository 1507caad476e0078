import ArgumentParser
import Foundation
import WardenCore
import WardenHome
import WardenTrust

struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Generate, trust, revoke, list and export keys.",
        subcommands: [Generate.self, Trust.self, Revoke.self, List.self, Export.self])

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Generate a key pair (or HMAC secret) and trust it for one role.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Key name (1-64 of A-Z a-z 0-9 . _ -).") var name: String
        @Option(help: "ed25519 (default), es256, or hs256 (symmetric: tests/CI only).") var alg = "ed25519"
        @Option(help: "publisher, authorizer, approver or runner.") var role: String
        @Option(name: .customLong("not-after"), help: "Expiry (RFC 3339 time or YYYY-MM-DD).") var notAfter: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let alg = try JWSAlgorithm.parseCLI(alg)
            let role = try KeyRole.parse(role, field: "--role")
            let notAfter = try notAfter.map { (t: String) throws(WardenError) in try Timestamp.parse(t, field: "--not-after") }
            let (home, db) = try global.openDatabase()
            let key = try TrustStore(home: home, db: db).generate(name: name, alg: alg, role: role, notAfter: notAfter)
            try await AuditTrail.recordAdministration(home: home, db: db, .keyAdded, subject: key.name, details: key.json)
            if alg.isSymmetric {
                Terminal.warn("warning: hs256 is symmetric: anyone who can verify with this key can also sign. Use it for tests and CI only.")
            }
            if json { Terminal.json(key.json) } else { print("generated \(key.alg.cliName) \(key.role.rawValue) key \"\(key.name)\" kid \(key.kid)") }
        }
    }

    struct Trust: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Trust someone else's public key (PEM) for one role.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Public key PEM file.") var file: String
        @Option(help: "Name to give the key.") var name: String
        @Option(help: "publisher, authorizer, approver or runner.") var role: String
        @Option(name: .customLong("not-after"), help: "Expiry (RFC 3339 time or YYYY-MM-DD).") var notAfter: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let role = try KeyRole.parse(role, field: "--role")
            let notAfter = try notAfter.map { (t: String) throws(WardenError) in try Timestamp.parse(t, field: "--not-after") }
            let pem = String(decoding: try SecureFile.readSmall(path: file, limit: 64 * 1024), as: UTF8.self)
            let (home, db) = try global.openDatabase()
            let key = try TrustStore(home: home, db: db).trust(pem: pem, source: file, name: name, role: role, notAfter: notAfter)
            try await AuditTrail.recordAdministration(home: home, db: db, .keyAdded, subject: key.name, details: key.json)
            if json { Terminal.json(key.json) } else { print("trusted \(key.alg.cliName) \(key.role.rawValue) key \"\(key.name)\" kid \(key.kid)") }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key: nothing it signed is accepted from now on.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Key name.") var name: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let (home, db) = try global.openDatabase()
            let key = try TrustStore(home: home, db: db).revoke(name: name)
            try await AuditTrail.recordAdministration(home: home, db: db, .keyRevoked, subject: key.name, decision: "deny", details: key.json)
            if json { Terminal.json(key.json) } else { print("revoked key \"\(key.name)\" kid \(key.kid)") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List trusted keys.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let (home, db) = try global.openDatabase()
            let keys = try TrustStore(home: home, db: db).list()
            if json { Terminal.json(.array(keys.map(\.json))); return }
            if keys.isEmpty { print("no keys (warden key generate NAME --role ROLE)"); return }
            for k in keys {
                var flags: [String] = [k.hasPrivateKey ? "private" : "public-only"]
                if k.alg.isSymmetric { flags.append("SYMMETRIC") }
                if let r = k.revokedAt { flags.append("revoked \(Timestamp.rfc3339(r))") }
                if let n = k.notAfter { flags.append("not-after \(Timestamp.rfc3339(n))") }
                print("\(k.name)\t\(k.role.rawValue)\t\(k.alg.cliName)\t\(k.kid)\t\(flags.joined(separator: ", "))")
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a key's public half as PEM.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Key name.") var name: String

        func run() async throws {
            let (home, db) = try global.openDatabase()
            let key = try TrustStore(home: home, db: db).key(named: name)
            if key.alg.isSymmetric {
                Terminal.warn("warning: \"\(name)\" is an HMAC key; its export is the shared secret itself.")
            }
            print(key.publicKeyPEM, terminator: "")
        }
    }
}
