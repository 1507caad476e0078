import ArgumentParser
import Foundation
import WardenCore
import WardenHome
import WardenNet
import WardenPolicy

/// Flags that describe a request to evaluate (`policy explain`, `approvals request`).
struct PolicyRequestOptions: ParsableArguments {
    @Option(help: "Policy file (YAML).") var policy: String
    @Option(help: "Tenant the request runs for.") var tenant = "default"
    @Option(help: "Session id for trifecta labels (default: the tenant's default session).") var session: String?
    @Option(help: "Working directory inside the sandbox (default: the current directory).") var cwd: String?
    @Option(name: .customLong("read"), help: "A path the request reads (repeatable).") var reads: [String] = []
    @Option(name: .customLong("write"), help: "A path the request writes (repeatable).") var writes: [String] = []
    @Option(help: "Egress the request needs, CIDR[:port] (repeatable).") var egress: [String] = []
    @Option(help: "Exposure label the tool declares: private_data, untrusted_content, exfiltration (repeatable).") var label: [String] = []
    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.") var command: [String] = []

    /// Loads the policy and builds the request.
    func build() throws(WardenError) -> (Policy, ExecutionRequest) {
        let p = try PolicyLoader.load(path: policy)
        guard !command.isEmpty else { throw .usage("policy.no_command", "give the command after --, e.g. -- git status") }
        var targets: [EgressRule] = []
        for e in egress {
            do throws(EgressRuleError) { targets.append(try EgressRule(parsing: e)) } catch {
                throw .usage("policy.network_rule", "--egress '\(e)' (character \(error.offset + 1)): \(error.message)")
            }
        }
        var labels = ExposureLabels()
        for l in label {
            guard let v = ExposureLabels(name: l) else { throw .usage("policy.label", "--label: unknown label \"\(l)\"") }
            labels.insert(v)
        }
        let dir = cwd ?? FileManager.default.currentDirectoryPath
        let request = ExecutionRequest(
            tenant: tenant, session: session, argv: command, workingDirectory: dir,
            paths: reads.map { .init($0) } + writes.map { .init($0, write: true) }, egress: targets, exposure: labels)
        return (p, request)
    }
}

/// A request evaluated against the home's recorded state (read-only).
struct PolicyEvaluation {
    let policy: Policy
    let request: ExecutionRequest
    let store: PolicyStore
    let decision: Decision
    let now: Date
    let home: Home
    let db: WardenDatabase

    init(_ options: PolicyRequestOptions, _ global: GlobalOptions) throws(WardenError) {
        (policy, request) = try options.build()
        (home, db) = try global.openDatabase()
        store = PolicyStore(db: db)
        now = Date()
        let state = try store.state(tenant: request.tenant, session: request.sessionID, policyName: policy.name)
        decision = PolicyEngine.decide(request, policy, state, now: now, host: LiveHostView())
    }
}

/// Text and JSON renderings of decisions.
enum PolicyOutput {
    static func verdictName(_ d: Decision) -> String {
        switch d.verdict {
        case .allow: "allow"
        case .deny: "deny"
        case .approvalRequired: "approval-required"
        }
    }

    static func json(_ d: Decision) -> JSONValue {
        var o: [String: JSONValue] = [
            "decision": .string(verdictName(d)),
            "trace": .array(d.trace.map { .object(["rule": .string($0.rule), "outcome": .string($0.outcome.rawValue), "detail": .string($0.detail)]) }),
            "operations": .array(d.operations.map { .string($0.rawValue) }),
            "labels": .array(d.runLabels.names.map { .string($0) }),
        ]
        switch d.verdict {
        case .allow(let c): o["confinement"] = confinement(c)
        case .deny(let reasons): o["reasons"] = .array(reasons.map { .object(["code": .string($0.code), "message": .string($0.message)]) })
        case .approvalRequired(let need): o["approval"] = .object(["operation": .string(need.operation), "request_id": .string(need.requestID)])
        }
        return .object(o)
    }

    static func confinement(_ c: Confinement) -> JSONValue {
        let network: JSONValue
        switch c.network {
        case .none: network = "none"
        case .egress(let g):
            network = .object(["grant": .array(g.rules.map { .string($0.description) }),
                               "mode": .string(g.auditOnly ? "audit-only" : "enforce")])
        }
        return .object([
            "executable": .string(c.executable), "argv": .array(c.argv.map { .string($0) }),
            "readonly": .array(c.readonly.map { .string($0) }), "writable": .array(c.writable.map { .string($0) }),
            "deny_globs": .array(c.denyGlobs.map { .string($0.pattern) }), "executables": .array(c.executables.map { .string($0) }),
            "cwd": .string(c.workingDirectory), "network": network,
            "limits": .object(["wall_seconds": .int(c.limits.wallSeconds), "cpu_seconds": .int(c.limits.cpuSeconds),
                               "memory_mb": .int(c.limits.memoryMB), "pids": .int(c.limits.pids), "output_bytes": .int(c.limits.outputBytes)]),
        ])
    }

    static func printText(_ d: Decision) {
        switch d.verdict {
        case .allow(let c):
            print("decision: allow")
            print("  executable: \(DisplayText.escape(c.executable))")
            print("  readonly: \(c.readonly.map { DisplayText.escape($0) }.joined(separator: ", "))")
            print("  writable: \(c.writable.map { DisplayText.escape($0) }.joined(separator: ", "))")
            print("  executables: \(c.executables.map { DisplayText.escape($0) }.joined(separator: ", "))")
            print("  limits: wall \(c.limits.wallSeconds)s, cpu \(c.limits.cpuSeconds)s, memory \(c.limits.memoryMB) MB, pids \(c.limits.pids), output \(c.limits.outputBytes) bytes")
            print("  network: none")
        case .deny(let reasons):
            print("decision: deny")
            for r in reasons { print("  \(DisplayText.escape(r.description, limit: 2000))") }
        case .approvalRequired(let need):
            print("decision: approval-required")
            print("  operation: \(need.operation)")
            print("  request id: \(need.requestID)")
        }
        print("trace:")
        // Trace lines quote argv and paths: escaped for the terminal.
        for line in d.traceText { print("  \(DisplayText.escape(line, limit: 2000))") }
    }
}
