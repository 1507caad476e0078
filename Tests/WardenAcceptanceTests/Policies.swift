/// Policy documents for the acceptance tests (docs/POLICY.md). Every section a test does not
/// vary is the same small, permissive-enough baseline, so each test changes exactly one rule.
enum Policies {
    static func yaml(readonly: [String] = ["/usr", "/lib", "/lib64", "/etc/ssl"], writable: [String] = ["./ws"], commands: [String] = [], budget: String = "{executions: 100, cpu_seconds: 100}",
                     extra: String = "") -> String {
        """
        version: 1
        name: acceptance
        filesystem:
          readonly: [\(readonly.joined(separator: ", "))]
          writable: [\(writable.joined(separator: ", "))]
        commands:
          allow: [\(commands.joined(separator: ", "))]
        limits: {wall_seconds: 10, cpu_seconds: 5, memory_mb: 128, pids: 16}
        budget: \(budget)

        """ + extra
    }

    /// Approvals for `operations`, approvable by `approverKid`.
    static func approvals(_ operations: [String], approverKid: String, ttl: Int = 300) -> String {
        "approvals: {required_for: [\(operations.joined(separator: ", "))], ttl_seconds: \(ttl), approvers: [\"\(approverKid)\"]}\n"
    }
}
