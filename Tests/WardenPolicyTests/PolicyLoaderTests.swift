import Foundation
import Testing
import WardenCore
import WardenNet
@testable import WardenPolicy

@Suite struct PolicyLoaderTests {
    func error(_ yaml: String) -> WardenError? {
        do {
            _ = try PolicyLoader.parse(yaml, file: "p.yaml")
            return nil
        } catch {
            return error
        }
    }

    @Test func designExampleParsesAndNormalizes() throws {
        let p = try PolicyLoader.parse("""
            version: 1
            name: ci-tools
            filesystem: {readonly: [/usr, /lib, /lib64, /etc/ssl], writable: [./workspace], deny: ["**/.ssh/**", "**/.env"]}
            commands:   {allow: [git, ls, {program: python3, args: ["-m", "pytest", "*"]}], deny_inline_code: true}
            network:    {egress: deny}
            limits:     {wall_seconds: 30, cpu_seconds: 10, memory_mb: 256, pids: 64, output_bytes: 1048576}
            budget:     {executions: 1000, cpu_seconds: 3600}
            window:     {not_before: 2026-01-01T00:00:00Z, not_after: 2027-01-01T00:00:00Z}
            approvals:  {required_for: [network, write], ttl_seconds: 300, approvers: [kid-1]}
            exposure:   {private_data: true, untrusted_content: true, exfiltration: false}
            """)
        #expect(p.name == "ci-tools")
        #expect(p.filesystem.writable == ["./workspace"])
        #expect(p.commands.allow.count == 3)
        #expect(p.commands.allow[2].args == [.exact("-m"), .exact("pytest"), .one])
        #expect(p.limits == ResourceLimits(wallSeconds: 30, cpuSeconds: 10, memoryMB: 256, pids: 64, outputBytes: 1_048_576))
        #expect(p.window.notBefore == RFC3339.parse("2026-01-01T00:00:00Z"))
        #expect(p.approvals.requiredFor == [.network, .write])
        #expect(p.exposure == [.privateData, .untrustedContent])
        // Round trip through the normalized JSON form is stable.
        let json = PolicyJSON.encode(p)
        #expect(CanonicalJSON.string(json).contains("\"name\":\"ci-tools\""))
    }

    @Test func omittedFieldsTakeSafeDefaults() throws {
        let p = try PolicyLoader.parse("version: 1\n", file: "x.yaml", defaultName: "x")
        #expect(p.name == "x")
        #expect(p.filesystem.readonly.isEmpty && p.filesystem.writable.isEmpty)
        #expect(p.commands.allow.isEmpty && p.commands.denyInlineCode)
        #expect(p.network.egress == .deny && !p.network.unixSockets)
        #expect(p.limits == ResourceLimits.defaults)
        #expect(p.budget.executions == 0 && p.budget.cpuSeconds == 0)
        #expect(p.approvals.ttlSeconds == 300)
        #expect(p.exposure.isEmpty)
        // And such a policy denies.
        let d = PolicyEngine.decide(Fixtures.request(["ls"]), p, DecisionState(), now: Fixtures.now, host: Fixtures.host)
        #expect(!d.isAllowed)
    }

    @Test func unknownKeysAreErrorsWithLocation() {
        let e = error("version: 1\nfilesystem:\n  readonly: [/usr]\n  writeable: [/tmp]\n")
        #expect(e?.code == "policy.unknown_key")
        #expect(e?.message.hasPrefix("p.yaml:4:3: filesystem.writeable: unknown key") == true)
        #expect(error("version: 1\nextra: 1\n")?.code == "policy.unknown_key")
        #expect(error("version: 1\ncommands: {allow: [{program: ls, argz: []}]}\n")?.code == "policy.unknown_key")
    }

    @Test func duplicateKeysAreErrors() {
        #expect(error("version: 1\nname: a\nname: b\n")?.code == "policy.duplicate_key")
        #expect(error("version: 1\nlimits: {pids: 1, pids: 2}\n")?.code == "policy.duplicate_key")
        #expect(error("version: 1\nbudget:\n  executions: 1\n  \"executions\": 2\n")?.code == "policy.duplicate_key")
    }

    @Test func malformedYAML() {
        for bad in ["version: 1\nfilesystem: {readonly: [/usr\n", "version: 1\n  name: x\n bad", "\t- x", "version: [1", "", "# only a comment\n", "version: 1\n---\nversion: 1\n"] {
            let e = error(bad)
            #expect(e != nil, "\(bad.debugDescription) parsed")
            #expect(e?.category == .usage)
        }
        #expect(error("version: 1\nfilesystem: {readonly: [/usr\n")?.message.contains("p.yaml:") == true)
    }

    @Test func aliasBombsAndTagsAreRefused() {
        var bomb = "version: 1\nx0: &a0 [a, a, a, a, a, a, a, a, a, a]\n"
        for i in 1...8 { bomb += "x\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        bomb += "filesystem: {readonly: *a8}\n"
        #expect(error(bomb)?.code == "policy.too_complex")
        #expect(error("version: 1\nname: !!binary aGVsbG8=\n")?.code == "policy.tag")
        #expect(error("version: 1\nname: !custom x\n")?.code == "policy.tag")
    }

    @Test func versionIsRequiredAndMustBeOne() {
        #expect(error("name: x\n")?.code == "policy.version")
        #expect(error("version: 2\n")?.code == "policy.range")
        #expect(error("version: \"1\"\n")?.code == "policy.type")
    }

    @Test func negativeNaNHugeAndMistypedNumbersAreRefused() {
        let cases: [(String, String)] = [
            ("limits: {wall_seconds: -1}", "policy.range"), ("limits: {wall_seconds: 0}", "policy.range"),
            ("limits: {memory_mb: .nan}", "policy.type"), ("limits: {memory_mb: .inf}", "policy.type"),
            ("limits: {pids: 1e3}", "policy.type"), ("limits: {pids: 0x10}", "policy.type"), ("limits: {pids: 1_000}", "policy.type"),
            ("limits: {pids: 99999999999999999999999}", "policy.range"), ("limits: {cpu_seconds: 86401}", "policy.range"),
            ("limits: {pids: 12.5}", "policy.type"), ("limits: {pids: \"12\"}", "policy.type"), ("limits: {pids: 012}", "policy.type"),
            ("limits: {pids: +5}", "policy.type"), ("limits: {pids: true}", "policy.type"), ("limits: {pids: ~}", "policy.type"),
            ("budget: {executions: -5}", "policy.range"), ("budget: {cpu_seconds: 10000000000}", "policy.range"),
            ("budget: {executions: .NaN}", "policy.type"), ("approvals: {ttl_seconds: 0}", "policy.range"),
            ("approvals: {ttl_seconds: 86401}", "policy.range"), ("window: {max_session_seconds: -3}", "policy.range"),
        ]
        for (body, code) in cases {
            let e = error("version: 1\n" + body + "\n")
            #expect(e?.code == code, "\(body) → \(String(describing: e))")
        }
    }

    @Test func fieldValidation() {
        let cases: [(String, String)] = [
            ("filesystem: {readonly: [usr]}", "policy.path"), ("filesystem: {readonly: [/usr/../etc]}", "policy.path"),
            ("filesystem: {writable: [./a/../../b]}", "policy.path"), ("filesystem: {readonly: [/usr//lib]}", "policy.path"),
            ("filesystem: {readonly: [/proc]}", "policy.path"), ("filesystem: {writable: [/dev/shm]}", "policy.path"),
            ("filesystem: {readonly: [/sys/fs/cgroup]}", "policy.path"),
            ("filesystem: {deny: [\".ssh\"]}", "policy.glob"), ("filesystem: {deny: [\"**\"]}", "policy.glob"),
            ("filesystem: {deny: [\"/a/[bc]\"]}", "policy.glob"), ("filesystem: {deny: [\"/a/x**\"]}", "policy.glob"),
            ("commands: {allow: [\"./ls\"]}", "policy.program"), ("commands: {allow: [\"bin/ls\"]}", "policy.program"),
            ("commands: {allow: [{args: [x]}]}", "policy.program"), ("commands: {allow: [{program: ls, args: [\"...\", x]}]}", "policy.args"),
            ("commands: {deny_inline_code: yes}", "policy.type"), ("commands: {deny_inline_code: \"false\"}", "policy.type"),
            ("network: {unix_sockets: yes}", "policy.type"), ("network: {unix_sockets: 1}", "policy.type"),
            ("network: {egress: open}", "policy.value"), ("network: {egress: allow}", "policy.value"),
            ("network: {egress: deny, allow: [10.0.0.0/8]}", "policy.value"), ("network: {allow: [\"api.*.com:443\"]}", "policy.network_rule"),
            ("network: {allow: [10.0.0.1/8]}", "policy.network_rule"), ("network: {allow: [10.0.0.0/33]}", "policy.network_rule"),
            ("network: {allow: [\"10.0.0.0/8:0\"]}", "policy.network_rule"), ("network: {allow: [\"10.0.0.0/8:65536\"]}", "policy.network_rule"),
            ("network: {allow: [\"2001:db8::/32:443\"]}", "policy.network_rule"), ("network: {allow: [\"[10.0.0.0/8]:443\"]}", "policy.network_rule"),
            ("network: {allow: [\"010.0.0.0/8\"]}", "policy.network_rule"), ("network: {allow: [\"::ffff:1.2.3.4\"]}", "policy.network_rule"),
            ("window: {not_after: 2026-13-01T00:00:00Z}", "policy.time"), ("window: {not_after: \"tomorrow\"}", "policy.time"),
            ("window: {not_before: 2027-01-01T00:00:00Z, not_after: 2026-01-01T00:00:00Z}", "policy.time"),
            ("approvals: {required_for: [delete]}", "policy.value"), ("exposure: {secrets: true}", "policy.unknown_key"),
            ("commands: {allow: [{program: ls, exposure: [pii]}]}", "policy.label"), ("name: \"\"", "policy.value"),
            ("filesystem: []", "policy.type"), ("commands: {allow: ls}", "policy.type"),
        ]
        for (body, code) in cases {
            let e = error("version: 1\n" + body + "\n")
            #expect(e?.code == code, "\(body) → \(String(describing: e))")
            #expect(e?.message.hasPrefix("p.yaml") == true)
        }
    }

    /// `network.unix_sockets` reaches the run's confinement (and from there the sandbox spec).
    @Test func unixSocketsSwitchReachesTheConfinement() throws {
        func confinement(_ yaml: String) throws -> Confinement? {
            let p = try PolicyLoader.parse(yaml, file: "x.yaml", defaultName: "x")
            let d = PolicyEngine.decide(Fixtures.request(["ls"]), p, DecisionState(), now: Fixtures.now, host: Fixtures.host)
            if case .allow(let c) = d.verdict { return c }
            Issue.record("not allowed: \(d.traceText)")
            return nil
        }
        let on = try PolicyLoader.parse(Fixtures.policyYAML + "\nnetwork: {unix_sockets: true}\n", file: "x.yaml", defaultName: "x")
        #expect(on.network.unixSockets && on.network.egress == .deny)
        #expect(try confinement(Fixtures.policyYAML + "\nnetwork: {unix_sockets: true}\n")?.unixSockets == true)
        #expect(try confinement(Fixtures.policyYAML)?.unixSockets == false)
    }

    @Test func networkTargetsParse() throws {
        let ok = ["140.82.112.0/20:443": "140.82.112.0/20:443", "10.0.0.1": "10.0.0.1/32", "0.0.0.0/0": "0.0.0.0/0",
                  "2001:db8::/32": "2001:db8::/32", "[2001:db8::/32]:443": "[2001:db8::/32]:443", "[::1]:22": "[::1/128]:22",
                  "2001:DB8:0:0::/64": "2001:db8::/64"]
        for (text, normalized) in ok {
            #expect(try EgressRule(parsing: text).description == normalized)
        }
    }

    @Test func networkRulesNameFileLineAndField() throws {
        let yaml = Fixtures.policyYAML + "\nnetwork:\n  egress: allow\n  allow: [\"api.github.com:443\", \"api.*.com:443\"]\n"
        do {
            _ = try PolicyLoader.parse(yaml, file: "p.yaml", defaultName: "p")
            Issue.record("a wildcard in the middle parsed")
        } catch {
            #expect(error.code == "policy.network_rule")
            #expect(error.message.hasPrefix("p.yaml:"), "\(error.message)")
            #expect(error.message.contains("network.allow[1]") && error.message.contains("first label"), "\(error.message)")
        }
        let audit = try PolicyLoader.parse(Fixtures.policyYAML + "\nnetwork: {egress: allow, mode: audit-only, allow: [\"*.example.com:443\"]}\n",
                                           file: "p.yaml", defaultName: "p")
        #expect(audit.network.auditOnly && audit.network.allow.first?.description == "*.example.com:443")
        #expect(throws: WardenError.self) {
            try PolicyLoader.parse(Fixtures.policyYAML + "\nnetwork: {egress: allow, mode: log, allow: [\"1.2.3.4\"]}\n", file: "p.yaml", defaultName: "p")
        }
    }

    @Test func loadReadsFilesAndReportsMissing() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("ci.yaml").path
        try Fixtures.policyYAML.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try PolicyLoader.load(path: file).name == "ci")
        #expect(throws: WardenError.self) { try PolicyLoader.load(path: dir.appendingPathComponent("none.yaml").path) }
    }
}
