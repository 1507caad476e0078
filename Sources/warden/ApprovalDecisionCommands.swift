import ArgumentParser
import Foundation
import WardenCore
import WardenHome
import WardenPolicy
import WardenTrust

struct ApproveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve a pending request: prints a token signed by an approver key, bound to the request, operation, tenant, expiry and a one-time nonce.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Request id (sha256:… or a unique hex prefix of at least 8 digits).") var id: String
    @Option(help: "Name of the approver key (role approver, listed in the policy's approvals.approvers).") var key: String
    @Option(help: "Token lifetime in seconds (default and maximum: the policy's approvals.ttl_seconds).") var ttl: Int64?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let (home, db) = try global.openDatabase()
        let now = Date()
        let record = try PolicyStore(db: db).approval(id)
        let signer = try TrustStore(home: home, db: db).signer(named: key, role: .approver, now: now)
        let trail = try await AuditTrail.open(home: home, db: db)
        defer { trail.close() }
        let (token, expires) = try ApprovalToken.issue(for: record, signer: signer, ttl: ttl, now: now)
        let nonce = (try? JWS.parse(token))?.payload["nonce"]?.stringValue ?? ""
        _ = try await trail.append(.approvalGranted, tenant: record.tenant, subject: record.id, decision: "allow", details: [
            "request_id": .string(record.id), "operation": .string(record.operation), "approver": .string(signer.kid),
            "expires": .string(RFC3339.format(expires)), "nonce": .string(nonce),
        ])
        if json {
            Terminal.json(["id": .string(record.id), "operation": .string(record.operation), "tenant": .string(record.tenant),
                           "expires": .string(RFC3339.format(expires)), "approver": .string(signer.kid), "token": .string(token)])
        } else {
            FileHandle.standardError.write(Data("warden: approved, until \(RFC3339.format(expires)); token on stdout:\n\(ApprovalsCommand.line(record))\n".utf8))
            print(token)
        }
    }
}

struct DenyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deny", abstract: "Refuse a pending request; tokens already issued for it are rejected.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Request id (sha256:… or a unique hex prefix of at least 8 digits).") var id: String
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let (home, db) = try global.openDatabase()
        let trail = try await AuditTrail.open(home: home, db: db)
        defer { trail.close() }
        let record = try PolicyStore(db: db).deny(id, by: Actor.current, now: Date())
        _ = try await trail.append(.approvalDenied, tenant: record.tenant, subject: record.id, decision: "deny", details: [
            "request_id": .string(record.id), "operation": .string(record.operation),
        ])
        if json { Terminal.json(ApprovalsCommand.json(record)) } else { print("denied \(record.id)") }
    }
}
