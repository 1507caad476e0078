import WardenCore
import WardenNet
import WardenSandbox

/// `warden exec --egress RULE… [--resolver ADDR] [--egress-audit]`: the same rule grammar and
/// enforcement as a policy's `network.allow` (docs/NETWORK.md).
enum ExecEgress {
    static func spec(rules: [String], resolvers: [String], audit: Bool) throws(WardenError) -> SandboxSpec.Egress? {
        guard !rules.isEmpty else {
            if audit || !resolvers.isEmpty {
                throw .usage("exec.egress_missing", "--egress-audit and --resolver need at least one --egress RULE")
            }
            return nil
        }
        var parsed: [EgressRule] = []
        for (i, text) in rules.enumerated() {
            do throws(EgressRuleError) { parsed.append(try EgressRule(parsing: text)) } catch {
                throw .usage("exec.egress_invalid", "--egress '\(text)' (#\(i + 1)), column \(error.offset + 1): \(error.message)")
            }
        }
        var upstreams: [SandboxSpec.Resolver] = []
        for r in resolvers { upstreams.append(try SandboxSpec.Resolver(parsing: r)) }
        if audit { Terminal.warn("warning: --egress-audit refuses nothing; it only logs what the rules would refuse") }
        return SandboxSpec.Egress(grant: EgressGrant(rules: parsed, auditOnly: audit), resolvers: upstreams)
    }
}
