import ArgumentParser
import Foundation
import WardenCore
import WardenHome
import WardenPolicy
import WardenTrust

struct ApprovalsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approvals", abstract: "List and file approval requests.",
        subcommands: [List.self, Request.self])

    static func json(_ r: PolicyStore.ApprovalRecord) -> JSONValue {
        ["id": .string(r.id), "tenant": .string(r.tenant), "policy": .string(r.policy), "operation": .string(r.operation),
         "status": .string(r.status), "created": .string(RFC3339.format(r.createdAt)), "ttl_seconds": .int(r.ttlSeconds),
         "approvers": .array(r.approvers.map { .string($0) }), "request": r.request]
    }

    /// One request for an approver's terminal: every agent-chosen value escaped (a `\r` or an
    /// `ESC[2K` in argv cannot redraw the line), long values elided with their length.
    static func line(_ r: PolicyStore.ApprovalRecord) -> String {
        let argv = (r.request["argv"]?.arrayValue ?? []).map { $0.stringValue ?? CanonicalJSON.string($0) }
        let cwd = r.request["cwd"]?.stringValue ?? "?"
        let writes = (r.request["paths"]?.arrayValue ?? []).filter { $0["write"]?.boolValue == true }
            .compactMap { $0["path"]?.stringValue }.map { DisplayText.escape($0) }
        let egress = (r.request["egress"]?.arrayValue ?? []).compactMap(\.stringValue).map { DisplayText.escape($0) }
        var text = "\(r.id)  \(r.status)  tenant=\(DisplayText.escape(r.tenant))  policy=\(DisplayText.escape(r.policy))  op=\(DisplayText.escape(r.operation))  \(RFC3339.format(r.createdAt))"
        text += "\n    argv: \(DisplayText.argv(argv))\n    cwd:  \(DisplayText.escape(cwd))"
        if !writes.isEmpty { text += "\n    writes: \(writes.joined(separator: " "))" }
        if !egress.isEmpty { text += "\n    egress: \(egress.joined(separator: " "))" }
        return text
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List pending approval requests.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Include approved and denied requests.") var all = false
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let (_, db) = try global.openDatabase()
            let records = try PolicyStore(db: db).approvals(status: all ? nil : "pending")
            if json {
                Terminal.json(.array(records.map(ApprovalsCommand.json)))
                return
            }
            if records.isEmpty { print("no \(all ? "" : "pending ")approval requests") }
            for r in records { print(ApprovalsCommand.line(r)) }
        }
    }

    struct Request: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Evaluate a command and, if it needs approval, file a pending approval request (prints its id).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var request: PolicyRequestOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let e = try PolicyEvaluation(request, global)
            let d = e.decision
            switch d.verdict {
            case .approvalRequired(let need):
                try e.store.recordPending(need, request: e.request, policy: e.policy, now: e.now)
                // The same record `warden run` writes: the exact request an approval would cover.
                try await AuditTrail.recordAdministration(
                    home: e.home, db: e.db, .approvalRequested, tenant: e.request.tenant, subject: need.requestID,
                    decision: "approval_required",
                    details: ["policy": .string(e.policy.name), "operation": .string(need.operation), "request_id": .string(need.requestID),
                              "request": e.request.canonical(policyName: e.policy.name)])
                if json { Terminal.json(["id": .string(need.requestID), "operation": .string(need.operation)]) } else {
                    print("approval requested: \(need.requestID) (operation \(need.operation))")
                }
            case .allow:
                if json { Terminal.json(["id": .null, "decision": "allow"]) } else { print("no approval needed: the policy allows this request") }
            case .deny(let reasons):
                if json { Terminal.json(PolicyOutput.json(d)) } else { for reason in reasons { Terminal.warn(reason.description) } }
                throw ExitCode(WardenExit.denied)
            }
        }
    }
}
