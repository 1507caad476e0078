import WardenCore
import WardenNet

/// The normalized form of a policy (every default filled in), as `warden policy check`
/// prints it and as the ledger records it.
public enum PolicyJSON {
    public static func encode(_ p: Policy) -> JSONValue {
        func strings(_ a: [String]) -> JSONValue { .array(a.map { .string($0) }) }
        let rules: [JSONValue] = p.commands.allow.map { r in
            var o: [String: JSONValue] = ["program": .string(r.program)]
            if let args = r.args { o["args"] = .array(args.map { .string($0.description) }) }
            if !r.labels.isEmpty { o["exposure"] = strings(r.labels.names) }
            return .object(o)
        }
        var window: [String: JSONValue] = ["max_session_seconds": .int(p.window.maxSessionSeconds)]
        if let d = p.window.notBefore { window["not_before"] = .string(RFC3339.format(d)) }
        if let d = p.window.notAfter { window["not_after"] = .string(RFC3339.format(d)) }
        return .object([
            "version": .int(Int64(p.version)),
            "name": .string(p.name),
            "filesystem": .object([
                "readonly": strings(p.filesystem.readonly), "writable": strings(p.filesystem.writable),
                "deny": strings(p.filesystem.deny.map(\.pattern)),
            ]),
            "commands": .object(["allow": .array(rules), "deny_inline_code": .bool(p.commands.denyInlineCode),
                                 "libraries": strings(p.commands.libraries)]),
            "network": .object(["egress": .string(p.network.egress.rawValue), "allow": strings(p.network.allow.map(\.description)),
                                "mode": .string(p.network.auditOnly ? "audit-only" : "enforce"),
                                "unix_sockets": .bool(p.network.unixSockets)]),
            "limits": .object(zip(ResourceLimits.fieldNames, p.limits.asArray).reduce(into: [:]) { $0[$1.0] = .int($1.1) }),
            "budget": .object(["executions": .int(p.budget.executions), "cpu_seconds": .int(p.budget.cpuSeconds)]),
            "window": .object(window),
            "approvals": .object([
                "required_for": strings(p.approvals.requiredFor.map(\.rawValue)), "ttl_seconds": .int(p.approvals.ttlSeconds),
                "approvers": strings(p.approvals.approvers),
            ]),
            "admission": .object(["elf": .object([
                "static_only": .bool(p.admission.staticOnly), "interpreters": strings(p.admission.interpreters),
                "allow_exec_stack": .bool(p.admission.allowExecStack),
                "allow_text_relocations": .bool(p.admission.allowTextRelocations),
            ])]),
            "exposure": .object([
                "private_data": .bool(p.exposure.contains(.privateData)),
                "untrusted_content": .bool(p.exposure.contains(.untrustedContent)),
                "exfiltration": .bool(p.exposure.contains(.exfiltration)),
            ]),
        ])
    }
}
