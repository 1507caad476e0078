import Foundation
import Testing

/// `warden run` never hands a tool Warden's own home, keys, database or policy, whatever the
/// policy grants, and a writable workspace keeps its protected entries. Each attack has its
/// allowed control, and after each the keys are unchanged and the ledger verifies.
@Suite struct SelfProtectionRunTests {
    /// A policy file outside every tree the tests grant.
    static func outsidePolicy(_ yaml: String) throws -> String {
        let dir = NSTemporaryDirectory() + "warden-pol-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/policy.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The report: the home inside the writable tree. The tool cannot read the runner
    /// key or write the database; it still writes its workspace.
    @Test func theHomeInsideAWritableTreeIsMasked() throws {
        let h = try AcceptanceHome()
        let key = h.home + "/keys/runner.pem"
        let keyBefore = try String(contentsOfFile: key, encoding: .utf8)
        let p = try Self.outsidePolicy(Policies.yaml(writable: [h.root]))
        let read = try h.run(["read", key], policy: p)
        #expect(read.verdict == "ran" && read.status != 0, "\(read.transcript)")
        #expect(!read.stdout.contains("PRIVATE KEY"), "the runner key leaked: \(read.stdout)")
        let db = try h.run(["write", h.home + "/warden.db", "pwned"], policy: p)
        #expect(db.status != 0, "\(db.transcript)")
        let listing = try h.run(["read", h.home + "/keys"], policy: p)
        #expect(listing.status != 0, "\(listing.transcript)")
        let ok = try h.run(["write", h.work + "/ws/out.txt", "fine"], policy: p)
        #expect(ok.status == 0, "\(ok.transcript)")
        #expect((try? String(contentsOfFile: h.work + "/ws/out.txt", encoding: .utf8)) == "fine")
        #expect(try String(contentsOfFile: key, encoding: .utf8) == keyBefore)
        try h.expectLedgerVerifies()
    }

    /// A policy inside a tree it makes writable: a tool could edit the rules of its next run.
    @Test func aPolicyFileInsideItsOwnWritableTreeIsRefused() throws {
        let h = try AcceptanceHome()
        let inside = try h.policy(Policies.yaml(writable: [h.root]))   // written under h.root
        let r = try h.run(["greet", "x"], policy: inside)
        #expect(r.status == 126, "\(r.transcript)")
        #expect(r.errorCode == "policy.file_writable", "\(r.transcript)")
        let rec = try h.record("decision", of: r, decision: "deny")
        #expect((rec["details"] as? [String: Any])?["code"] as? String == "policy.file_writable", "\(rec)")
        // Control: the same policy kept outside the tree runs.
        let outside = try Self.outsidePolicy(Policies.yaml(writable: [h.root]))
        #expect(try h.run(["greet", "x"], policy: outside).status == 0)
        let check = try h.warden(["policy", "check", inside, "--json"])
        #expect(check.stdout.contains("policy.file_writable"), "\(check.transcript)")
        let contains = try h.warden(["policy", "check", outside, "--json"])
        #expect(contains.stdout.contains("contains Warden's home"), "\(contains.transcript)")
        try h.expectLedgerVerifies()
    }

    /// A repository as the workspace: the tool cannot touch `.git`; unprotecting it is named in
    /// the decision record.
    @Test func gitMetadataStaysReadOnlyUnlessUnprotected() throws {
        let h = try AcceptanceHome()
        let config = h.work + "/ws/.git/config"
        try FileManager.default.createDirectory(atPath: h.work + "/ws/.git/hooks", withIntermediateDirectories: true)
        try "[core]\n".write(toFile: config, atomically: true, encoding: .utf8)
        let p = try Self.outsidePolicy(Policies.yaml())
        let bad = try h.run(["write", config, "[core]\n\tfsmonitor = /tmp/evil\n"], policy: p)
        #expect(bad.verdict == "ran" && bad.status != 0, "\(bad.transcript)")
        let hook = try h.run(["write", h.work + "/ws/.git/hooks/pre-commit", "#!/bin/sh\n"], policy: p)
        #expect(hook.status != 0, "\(hook.transcript)")
        let vscode = try h.run(["write", h.work + "/ws/.vscode", "x"], policy: p)
        #expect(vscode.status != 0, "\(vscode.transcript)")
        #expect(try String(contentsOfFile: config, encoding: .utf8) == "[core]\n")
        #expect(!FileManager.default.fileExists(atPath: h.work + "/ws/.vscode"))
        #expect(try h.run(["write", h.work + "/ws/main.c", "int main;"], policy: p).status == 0)

        let open = try Self.outsidePolicy(Policies.yaml().replacingOccurrences(of: "  writable: [./ws]", with: "  writable: [./ws]\n  unprotect: [.git]"))
        let allowed = try h.run(["write", config, "[core]\n\tbare = false\n"], policy: open)
        #expect(allowed.status == 0, "\(allowed.transcript)")
        let rec = try h.record("decision", of: allowed, decision: "allow")
        #expect((rec["details"] as? [String: Any])?["unprotected"] as? [String] == [".git"], "\(rec)")
        try h.expectLedgerVerifies()
    }

    /// Writable system trees: refused by default; allowed explicitly, every record names them.
    @Test func writableSystemTreesAreRefusedUnlessThePolicySaysSo() throws {
        let h = try AcceptanceHome()
        let refused = try h.run(["greet", "x"], policy: try Self.outsidePolicy(Policies.yaml(writable: ["/etc"])))
        #expect(refused.status == 126, "\(refused.transcript)")
        #expect(refused.transcript.contains("sandbox.system_write"), "\(refused.transcript)")
        let yaml = Policies.yaml(writable: ["/etc"]).replacingOccurrences(of: "  writable: [/etc]", with: "  writable: [/etc]\n  allow_system_writes: true")
        let allowed = try h.run(["greet", "x"], policy: try Self.outsidePolicy(yaml))
        #expect(allowed.status == 0, "\(allowed.transcript)")
        for event in ["decision", "execution.started"] {
            let rec = try h.record(event, of: allowed)
            let sw = (rec["details"] as? [String: Any])?["system_writes"] as? [[String: Any]]
            #expect(sw?.first?["tree"] as? String == "/etc", "\(event): \(rec)")
        }
        try h.expectLedgerVerifies()
    }

    /// An event log kept outside the home, inside a tree the tool may write: hidden too, so
    /// a tool cannot forge or erase the events of earlier runs.
    @Test func aFileEventSinkIsHidden() throws {
        let h = try AcceptanceHome()
        let log = h.work + "/ws/events.jsonl"
        try "{\"events\": {\"sinks\": [{\"type\": \"file\", \"path\": \"\(log)\"}]}}".write(toFile: h.home + "/config.json", atomically: true, encoding: .utf8)
        let p = try Self.outsidePolicy(Policies.yaml())
        #expect(try h.run(["greet", "first"], policy: p).status == 0)
        let before = try String(contentsOfFile: log, encoding: .utf8)
        #expect(before.contains("dev.warden.execution"), "no event written: \(before)")
        let read = try h.run(["read", log], policy: p)
        #expect(read.status != 0 && !read.stdout.contains("dev.warden"), "\(read.transcript)")
        let forge = try h.run(["write", log, "forged"], policy: p)
        #expect(forge.status != 0, "\(forge.transcript)")
        #expect(try String(contentsOfFile: log, encoding: .utf8).hasPrefix(before))
    }
}
