import Foundation
import Testing

/// Plan: "Uninhabitable state (current)".
@Suite struct TrifectaTests {
    /// Plan: "When private data + untrusted content + exfil path are all enabled, approvals are
    /// required for exfil operations".
    @Test func trifectaRequiresApproval() throws {
        let h = try AcceptanceHome(exposure: ["private_data", "untrusted_content"])
        let kid = h.kids["appr"] ?? ""
        // Control: private data and untrusted content, no exfiltration path: runs without approval.
        let safe = try h.policy(Policies.yaml(extra: "approvals: {approvers: [\"\(kid)\"]}\n"))
        try h.expectCompleted(try h.run(["greet", "two-legs"], policy: safe), stdoutPrefix: "hello, two-legs")

        // The same tool, same session, with an exfiltration path: approval required for `trifecta`.
        let exfil = try h.policy(Policies.yaml(extra: "approvals: {approvers: [\"\(kid)\"]}\nexposure: {exfiltration: true}\n"))
        let gated = try h.run(["greet", "three-legs"], policy: exfil)
        #expect(gated.status == 126, "\(gated.transcript)")
        #expect(gated.verdict == "approval_required")
        #expect(gated.approvalOperation?.contains("trifecta") == true, "\(gated.report)")
        #expect(gated.stdout.isEmpty)
        let rec = try h.record("approval.requested", of: gated, decision: "approval_required")
        #expect(((rec["details"] as? [String: Any])?["operation"] as? String)?.contains("trifecta") == true)
        h.expectEvent(gated, type: EnforcementTests.approvalRequested)

        let rid = try #require(gated.approvalRequestID)
        let (token, _) = try h.approve(rid)
        let approved = try h.run(["greet", "three-legs"], policy: exfil, approval: token)
        #expect(approved.status == 0, "\(approved.transcript)")
        #expect(approved.stdout.hasPrefix("hello, three-legs"))
        let consumed = try h.record("approval.consumed", of: approved, decision: "allow")
        #expect(((consumed["details"] as? [String: Any])?["operations"] as? [String])?.contains("trifecta") == true)
        h.expectEvent(approved, type: EnforcementTests.completed)
        try h.expectLedgerVerifies()
    }
}
