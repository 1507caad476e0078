import Foundation
import Testing

/// Plain `warden run` calls take a hand-written fast path (no ArgumentParser start-up
/// cost); everything else falls back to ArgumentParser, which must still give help and its
/// usual errors. Both spellings of one run must behave the same.
@Suite struct RunParsingTests {
    @Test func fastPathAndArgumentParserAgree() throws {
        let h = try AcceptanceHome()
        let p = try h.policy(Policies.yaml(commands: []))
        let help = try h.warden(["run", "--help"])
        #expect(help.status == 0 && help.stdout.contains("--approval"))
        let unknown = try h.warden(["run", "hello", "--bogus", "--", "greet"])
        #expect(unknown.status == 125 && unknown.stderr.contains("--bogus"), "\(unknown.transcript)")
        let noTool = try h.warden(["run", "--tenant", "acme", "--policy", p])
        #expect(noTool.status == 125, "\(noTool.transcript)")
        let twoTools = try h.warden(["run", "hello", "hello", "--policy", p])
        #expect(twoTools.status == 125, "\(twoTools.transcript)")
        // A repeated option is left to ArgumentParser (which keeps the last one); the fast
        // path never picks a different value than ArgumentParser would.
        let repeated = try h.warden(["run", "hello", "--tenant", "nobody", "--tenant", "acme", "--policy", p, "--json", "--", "greet", "x"])
        #expect(repeated.status == 0, "\(repeated.transcript)")
        // The same run, spelled with inline values and options after the operand.
        let a = try h.warden(["run", "--tenant=acme", "hello", "--policy=\(p)", "--json", "--", "greet", "same"])
        let b = try h.warden(["run", "hello", "--json", "--policy", p, "--tenant", "acme", "--", "greet", "same"])
        #expect(a.status == 0 && b.status == 0, "\(a.transcript)\n\(b.transcript)")
        let ra = AcceptanceHome.object(a.stdout), rb = AcceptanceHome.object(b.stdout)
        #expect(ra?["status"] as? Int == 0 && rb?["status"] as? Int == 0)
        #expect((ra?["stdout"] as? String)?.contains("same") == true, "\(a.stdout)")
        #expect(ra?["stdout"] as? String == rb?["stdout"] as? String)
        // The JSON report accounts for the whole run, the process's own open and close included.
        let stages = ra?["stages_us"] as? [String: Any] ?? [:]
        #expect(Set(stages.keys) == ["open", "admit", "decide", "record", "confine", "emit", "close"], "\(stages)")
        #expect(stages.values.allSatisfy { ($0 as? Int ?? -1) >= 0 })
        // Tool arguments after `--` are the tool's, even when they look like warden options.
        let passthrough = try h.warden(["run", "hello", "--tenant", "acme", "--policy", p, "--json", "--", "greet", "--json"])
        #expect((AcceptanceHome.object(passthrough.stdout)?["stdout"] as? String)?.contains("--json") == true, "\(passthrough.transcript)")
    }
}
