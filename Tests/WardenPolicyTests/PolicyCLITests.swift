import Foundation
import Testing
import WardenTestSupport
import WardenCore

/// End-to-end: the built `warden` binary, as a user runs it.
@Suite struct PolicyCLITests {
    let dir = NSTemporaryDirectory() + "warden-policy-cli-\(UUID().uuidString)"

    func run(_ args: [String]) throws -> TestProcess.Result {
        try TestProcess.run(TestProcess.wardenBinary, args,
                            environment: ["PATH": "/usr/bin:/bin", "HOME": dir + "/userhome", "WARDEN_HOME": dir + "/home"])
    }

    func file(_ name: String, _ text: String) throws -> String {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func checkValidInvalidMissing() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = try file("ok.yaml", Fixtures.policyYAML)
        let r = try run(["policy", "check", good, "--json"])
        #expect(r.status == 0)
        let json = try StrictJSONParser.parse(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(json["policy"]?["name"]?.stringValue == "ci")
        #expect(json["policy"]?["window"]?["max_session_seconds"]?.intValue == 3600)

        let bad = try file("bad.yaml", "version: 1\ncommands:\n  allow: [ls]\n  deny_inline_code: false\n  deny_inline_code: true\n")
        let b = try run(["policy", "check", bad])
        #expect(b.status == WardenExit.usage)
        #expect(b.stderr.hasPrefix("warden: error: \(bad):4:3: duplicate key deny_inline_code"))
        #expect(b.stderr.split(separator: "\n").count == 1)

        let typo = try file("typo.yaml", "version: 1\nlimits: {memory: 5}\n")
        let t = try run(["policy", "check", typo])
        #expect(t.status == WardenExit.usage)
        #expect(t.stderr.contains("\(typo):2:10: limits.memory: unknown key"))

        // A missing policy file is an input error (125), not "tool not found" (127).
        let m = try run(["policy", "check", dir + "/missing.yaml"])
        #expect(m.status == WardenExit.usage)
    }

    @Test func explainAllowsAndDeniesWithTrace() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = try file("p.yaml", """
            version: 1
            filesystem: {readonly: [/usr]}
            commands: {allow: [ls, sh]}
            budget: {executions: 5, cpu_seconds: 100}
            """)
        let ok = try run(["policy", "explain", "--policy", p, "--cwd", "/usr", "--", "ls", "-l"])
        #expect(ok.status == 0)
        #expect(ok.stdout.hasPrefix("decision: allow"))
        #expect(ok.stdout.contains("pass: commands.allow[1]"))
        for attack in [["/bin/sh", "-c", "id"], ["sh", "-c", "id"], ["env", "sh", "-c", "id"]] {
            let r = try run(["policy", "explain", "--policy", p, "--cwd", "/usr", "--"] + attack)
            #expect(r.status == WardenExit.denied, "\(attack)")
            #expect(r.stdout.hasPrefix("decision: deny"))
        }
        let inline = try run(["policy", "explain", "--policy", p, "--cwd", "/usr", "--json", "--", "/bin/sh", "-c", "id"])
        let json = try StrictJSONParser.parse(inline.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(json["reasons"]?.arrayValue?.first?["code"]?.stringValue == "policy.command.inline_code")
        let outside = try run(["policy", "explain", "--policy", p, "--cwd", "/usr", "--read", "/etc/shadow", "--", "ls"])
        #expect(outside.status == WardenExit.denied)
        #expect(outside.stdout.contains("[policy.path.outside]"))
    }

    /// A home with approver `alice` and runner `bot`, and a policy gating every exec on
    /// alice's approval; returns the policy's path.
    func gatedHome() throws -> String {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let gen = try run(["key", "generate", "alice", "--role", "approver", "--json"])
        #expect(gen.status == 0)
        let kid = try StrictJSONParser.parse(gen.stdout.trimmingCharacters(in: .whitespacesAndNewlines))["kid"]?.stringValue ?? "?"
        #expect(try run(["key", "generate", "bot", "--role", "runner"]).status == 0)
        return try file("gated.yaml", """
            version: 1
            name: gated
            filesystem: {readonly: [/usr]}
            commands: {allow: [ls]}
            budget: {executions: 5, cpu_seconds: 100}
            approvals: {required_for: [exec], ttl_seconds: 120, approvers: [\(kid)]}
            """)
    }

    @Test func approvalFlow() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = try gatedHome()
        let req = try run(["approvals", "request", "--policy", p, "--tenant", "acme", "--cwd", "/usr", "--json", "--", "ls"])
        #expect(req.status == 0)
        let id = try StrictJSONParser.parse(req.stdout.trimmingCharacters(in: .whitespacesAndNewlines))["id"]?.stringValue ?? "?"
        #expect(id.hasPrefix("sha256:"))
        let list = try run(["approvals", "list", "--json"])
        let items = try StrictJSONParser.parse(list.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).arrayValue ?? []
        #expect(items.map { $0["id"]?.stringValue } == [id])
        #expect(items.first?["request"]?["argv"] == ["ls"])

        // The runner key is not an approver; ttl beyond the policy is refused.
        let wrongRole = try run(["approve", id, "--key", "bot"])
        #expect(wrongRole.status == WardenExit.denied)
        #expect(wrongRole.stderr.contains("[trust.wrong_role]"))
        #expect(try run(["approve", id, "--key", "alice", "--ttl", "121"]).status == WardenExit.usage)

        let short = String(id.dropFirst(7).prefix(12))
        let ok = try run(["approve", short, "--key", "alice", "--ttl", "60", "--json"])
        #expect(ok.status == 0)
        let token = try StrictJSONParser.parse(ok.stdout.trimmingCharacters(in: .whitespacesAndNewlines))["token"]?.stringValue ?? ""
        #expect(token.split(separator: ".").count == 3)

        let denied = try run(["deny", id])
        #expect(denied.status == 0)
        #expect(try run(["approvals", "list"]).stdout.contains("no pending approval requests"))
        #expect(try run(["deny", id]).status == WardenExit.usage)
        #expect(try run(["approve", id, "--key", "alice"]).status == WardenExit.usage)
        #expect(try run(["approve", "sha256:00", "--key", "alice"]).status == WardenExit.notFound)
    }

    /// The found attack: an argv holding `\r` and `ESC[2K` redrew `approvals list` as
    /// `harmless: ls -la`. Every human-facing line now shows it escaped; JSON keeps it exact.
    @Test func approvalsListShowsADisguisedArgvAsItIs() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = try gatedHome()
        let disguised = "x\r\u{1B}[2Kharmless: ls -la"
        let req = try run(["approvals", "request", "--policy", p, "--tenant", "acme", "--cwd", "/usr", "--json", "--", "ls", disguised])
        #expect(req.status == 0, "\(req.stderr)")
        let id = try StrictJSONParser.parse(req.stdout.trimmingCharacters(in: .whitespacesAndNewlines))["id"]?.stringValue ?? "?"
        let list = try run(["approvals", "list"])
        #expect(!list.stdout.contains("\r") && !list.stdout.contains("\u{1B}"), "no raw control reaches the terminal")
        #expect(list.stdout.contains(#"argv: ls "x\r\e[2Kharmless: ls -la""#), "\(list.stdout)")
        #expect(list.stdout.contains("cwd:  /usr"))
        // JSON is for programs: the exact bytes, JSON-escaped.
        let json = try run(["approvals", "list", "--json"])
        let items = try StrictJSONParser.parse(json.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).arrayValue ?? []
        #expect(items.first?["request"]?["argv"] == .array([.string("ls"), .string(disguised)]))
        // The ledger holds the exact request (JSON-escaped), and `audit show` escapes it again
        // for the terminal: DEL, C1 and bidi controls survive JSON's escaping otherwise.
        let audit = try run(["audit", "show"])
        #expect(audit.stdout.contains("approval.requested approval_required"), "\(audit.stdout) \(audit.stderr)")
        #expect(audit.stdout.contains(#"harmless: ls -la"#) && !audit.stdout.contains("\u{1B}"), "\(audit.stdout)")
        // The approver sees the same line when approving.
        let ok = try run(["approve", id, "--key", "alice"])
        #expect(ok.status == 0)
        #expect(ok.stderr.contains(#"\e[2Kharmless"#) && !ok.stderr.contains("\u{1B}"), "\(ok.stderr)")
    }
}
