import Foundation
import Testing

/// Plan: "Enforcement (current)". Each attack is paired with the allowed action next to it,
/// and each checks the exit code, the message, the ledger record and the CloudEvent.
@Suite struct EnforcementTests {
    static let completed = "dev.warden.execution.completed.v1"
    static let failed = "dev.warden.execution.failed.v1"
    static let denied = "dev.warden.execution.denied.v1"
    static let approvalRequested = "dev.warden.approval.requested.v1"

    /// Plan: "Any filesystem access outside sandbox root is denied".
    @Test func filesystemAccessOutsideSandboxIsDenied() throws {
        let h = try AcceptanceHome()
        let p = try h.policy(Policies.yaml())
        let inside = h.work + "/ws/allowed.txt"
        let ok = try h.run(["write", inside, "inside"], policy: p)
        #expect(ok.status == 0, "\(ok.transcript)")
        #expect(ok.verdict == "ran")
        #expect(ok.stdout == "wrote 6 bytes to \(inside)\n")
        #expect((try? String(contentsOfFile: inside, encoding: .utf8)) == "inside")
        let okRec = try h.record("execution.finished", of: ok, decision: "allow")
        #expect(((okRec["details"] as? [String: Any])?["report"] as? [String: Any])?["exit_code"] as? Int == 0)
        h.expectEvent(ok, type: Self.completed)

        // Writing a host path outside every tree: the kernel refuses, nothing appears on the host.
        let outside = h.root + "/outside.txt"
        let bad = try h.run(["write", outside, "escape"], policy: p)
        #expect(bad.status == 1, "\(bad.transcript)")
        #expect(bad.stderr.hasPrefix("hello: write \(outside): "), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: outside))
        let badRec = try h.record("execution.finished", of: bad, decision: "allow")
        #expect(((badRec["details"] as? [String: Any])?["report"] as? [String: Any])?["exit_code"] as? Int == 1)
        h.expectEvent(bad, type: Self.failed)
        #expect((bad.event?["data"] as? [String: Any])?["exitCode"] as? Int == 1)

        // Reading a host secret outside the trees: refused, its content never printed.
        let secret = h.root + "/secret.txt"
        try "TOPSECRET-\(UUID().uuidString)".write(toFile: secret, atomically: true, encoding: .utf8)
        let read = try h.run(["read", secret], policy: p)
        #expect(read.status == 1, "\(read.transcript)")
        #expect(read.stderr.hasPrefix("hello: read \(secret): "))
        #expect(!read.stdout.contains("TOPSECRET"))
        _ = try h.record("execution.finished", of: read, decision: "allow")
        h.expectEvent(read, type: Self.failed)

        // A symlink inside the writable tree pointing at that secret does not lead out.
        try FileManager.default.createSymbolicLink(atPath: h.work + "/ws/link", withDestinationPath: secret)
        let viaLink = try h.run(["read", h.work + "/ws/link"], policy: p)
        #expect(viaLink.status == 1, "\(viaLink.transcript)")
        #expect(!viaLink.stdout.contains("TOPSECRET"))
        h.expectEvent(viaLink, type: Self.failed)

        // Inside the tree but matching a deny glob: masked. The same file readable without the glob.
        try FileManager.default.createDirectory(atPath: h.work + "/ws/secret", withIntermediateDirectories: true)
        try "MASKED".write(toFile: h.work + "/ws/secret/key.txt", atomically: true, encoding: .utf8)
        let masked = try h.policy(Policies.yaml().replacingOccurrences(of: "  writable: [./ws]\n", with: "  writable: [./ws]\n  deny: [\"**/secret/**\"]\n"))
        let denied = try h.run(["read", h.work + "/ws/secret/key.txt"], policy: masked)
        #expect(denied.status == 1, "\(denied.transcript)")
        #expect(!denied.stdout.contains("MASKED"))
        h.expectEvent(denied, type: Self.failed)
        let readable = try h.run(["read", h.work + "/ws/secret/key.txt"], policy: p)
        try h.expectCompleted(readable, stdoutPrefix: "MASKED")
        try h.expectLedgerVerifies()
    }

    /// Plan: "Any command not in allowlist (or structured rules) is denied".
    @Test func commandNotInAllowlistIsDenied() throws {
        let h = try AcceptanceHome()
        let p = try h.policy(Policies.yaml(commands: ["ls"]))
        let ok = try h.run(["exec", "/usr/bin/ls", "/usr"], policy: p)
        #expect(ok.status == 0, "\(ok.transcript)")
        #expect(ok.stdout.contains("bin"))
        _ = try h.record("execution.finished", of: ok, decision: "allow")
        h.expectEvent(ok, type: Self.completed)

        // `id` exists in the read-only /usr tree but is not allowlisted: the kernel refuses execve.
        let bad = try h.run(["exec", "/usr/bin/id"], policy: p)
        #expect(bad.status == 1, "\(bad.transcript)")
        #expect(bad.stderr.hasPrefix("hello: exec /usr/bin/id: Permission denied"), "\(bad.stderr)")
        let rec = try h.record("decision", of: bad, decision: "allow")
        let executables = (rec["details"] as? [String: Any])?["executables"] as? [String] ?? []
        #expect(executables.contains("/usr/bin/ls"))
        #expect(!executables.contains("/usr/bin/id"))
        _ = try h.record("execution.finished", of: bad, decision: "allow")
        h.expectEvent(bad, type: Self.failed)
        try h.expectLedgerVerifies()
    }

    /// Plan: "Approval-gated operation fails without a recorded approval".
    @Test func approvalGatedOperationFailsWithoutApproval() throws {
        let h = try AcceptanceHome()
        let p = try h.policy(Policies.yaml(extra: Policies.approvals(["write"], approverKid: h.kids["appr"] ?? "")))
        let target = h.work + "/ws/gated.txt"
        let gated = try h.run(["write", target, "x"], policy: p)
        #expect(gated.status == 126, "\(gated.transcript)")
        #expect(gated.verdict == "approval_required")
        #expect(gated.approvalOperation == "write")
        let rid = try #require(gated.approvalRequestID)
        #expect(rid.hasPrefix("sha256:"))
        #expect(!FileManager.default.fileExists(atPath: target))
        let rec = try h.record("approval.requested", of: gated, decision: "approval_required")
        #expect((rec["details"] as? [String: Any])?["request_id"] as? String == rid)
        #expect((rec["details"] as? [String: Any])?["operation"] as? String == "write")
        #expect(try h.records(of: gated).allSatisfy { $0["event"] as? String != "execution.started" })
        h.expectEvent(gated, type: Self.approvalRequested)

        // An approval withdrawn with `warden deny` no longer counts.
        let other = try h.run(["greet", "withdrawn"], policy: p)
        let otherID = try #require(other.approvalRequestID)
        let (withdrawnToken, _) = try h.approve(otherID)
        try h.must(["deny", otherID])
        let withdrawn = try h.run(["greet", "withdrawn"], policy: p, approval: withdrawnToken)
        #expect(withdrawn.status == 126, "\(withdrawn.transcript)")
        #expect(withdrawn.errorCode == "approval.denied", "\(withdrawn.transcript)")
        #expect(withdrawn.stdout.isEmpty)
        _ = try h.record("decision", of: withdrawn, decision: "deny")
        h.expectEvent(withdrawn, type: Self.denied)

        // Control: the recorded approval lets exactly this command run.
        let (token, approved) = try h.approve(rid)
        #expect(approved.status == 0, "\(approved.transcript)")
        let ok = try h.run(["write", target, "x"], policy: p, approval: token)
        #expect(ok.status == 0, "\(ok.transcript)")
        #expect(FileManager.default.fileExists(atPath: target))
        _ = try h.record("approval.consumed", of: ok, decision: "allow")
        _ = try h.record("execution.finished", of: ok, decision: "allow")
        h.expectEvent(ok, type: Self.completed)
        try h.expectLedgerVerifies()
    }

    /// Plan: "Approval grants expire (default TTL, enforced when auth is enabled)".
    @Test func approvalGrantsExpire() throws {
        let h = try AcceptanceHome()
        let p = try h.policy(Policies.yaml(extra: Policies.approvals(["write"], approverKid: h.kids["appr"] ?? "", ttl: 60)))
        let args = ["greet", "ttl"]
        let first = try h.run(args, policy: p)
        let rid = try #require(first.approvalRequestID, "\(first.transcript)")
        let (shortLived, _) = try h.approve(rid, ttl: 1)
        #expect(!shortLived.isEmpty)
        // A token longer than the policy's TTL is refused at issue time.
        let (_, tooLong) = try h.approve(rid, ttl: 3600)
        #expect(tooLong.status == 125 && tooLong.stderr.contains("[approval.ttl_exceeded]"), "\(tooLong.transcript)")
        Thread.sleep(forTimeInterval: 2.2)
        let expired = try h.run(args, policy: p, approval: shortLived)
        #expect(expired.status == 126, "\(expired.transcript)")
        #expect(expired.errorCode == "approval.expired" || expired.reasons.contains { $0.contains("approval.expired") },
                "\(expired.transcript)")
        #expect(!expired.stdout.contains("hello, ttl"))
        _ = try h.record("decision", of: expired, decision: "deny")
        h.expectEvent(expired, type: Self.denied)

        // Control: a fresh approval within the TTL runs.
        let (fresh, _) = try h.approve(rid)
        let ok = try h.run(args, policy: p, approval: fresh)
        #expect(ok.status == 0, "\(ok.transcript)")
        #expect(ok.stdout.hasPrefix("hello, ttl"))
        _ = try h.record("approval.consumed", of: ok, decision: "allow")
        h.expectEvent(ok, type: Self.completed)
        try h.expectLedgerVerifies()
    }

    /// Plan: "Approval requests are gated by a separate approval secret and nonce": only a key
    /// with the approver role (listed by the policy) can approve, and each token's nonce is
    /// accepted once.
    @Test func approvalsNeedTheApproverKeyAndAOneTimeNonce() throws {
        let h = try AcceptanceHome()
        let p = try h.policy(Policies.yaml(extra: Policies.approvals(["write"], approverKid: h.kids["appr"] ?? "")))
        let args = ["greet", "nonce"]
        let rid = try #require(try h.run(args, policy: p).approvalRequestID)
        // Keys without the approver role cannot issue tokens.
        for key in ["pub", "auth", "runner"] {
            let (token, r) = try h.approve(rid, key: key)
            #expect(r.status == 126 && token.isEmpty, "approve with \(key): \(r.transcript)")
            #expect(r.stderr.contains("[trust.wrong_role]"), "\(r.stderr)")
        }
        let (token, _) = try h.approve(rid)
        let ok = try h.run(args, policy: p, approval: token)
        #expect(ok.status == 0, "\(ok.transcript)")
        let consumed = try h.record("approval.consumed", of: ok, decision: "allow")
        let ops = (consumed["details"] as? [String: Any])?["operations"] as? [String] ?? []
        #expect(ops.contains("write"), "\(consumed)")
        #expect((consumed["details"] as? [String: Any])?["count"] as? Int == ops.count)
        h.expectEvent(ok, type: Self.completed)

        // The same token again: its nonce is spent.
        let replay = try h.run(args, policy: p, approval: token)
        #expect(replay.status == 126, "\(replay.transcript)")
        #expect(replay.errorCode == "approval.replayed" || replay.reasons.contains { $0.contains("approval.replayed") },
                "\(replay.transcript)")
        #expect(!replay.stdout.contains("hello"))
        _ = try h.record("decision", of: replay, decision: "deny")
        h.expectEvent(replay, type: Self.denied)
        try h.expectLedgerVerifies()
    }

    /// Plan: "Budget exhaustion blocks further side effects".
    @Test func budgetExhaustionBlocksSideEffects() throws {
        let h = try AcceptanceHome()
        let p = try h.policy(Policies.yaml(budget: "{executions: 1, cpu_seconds: 100}"))
        let first = h.work + "/ws/first.txt", second = h.work + "/ws/second.txt"
        let ok = try h.run(["write", first, "1"], policy: p)
        #expect(ok.status == 0, "\(ok.transcript)")
        #expect(FileManager.default.fileExists(atPath: first))
        h.expectEvent(ok, type: Self.completed)
        let over = try h.run(["write", second, "2"], policy: p)
        #expect(over.status == 126, "\(over.transcript)")
        #expect(over.verdict == "denied")
        #expect(over.reasons.contains { $0.contains("policy.budget.executions") }, "\(over.reasons)")
        #expect(!FileManager.default.fileExists(atPath: second))
        let rec = try h.record("decision", of: over, decision: "deny")
        #expect(((rec["details"] as? [String: Any])?["reasons"] as? [String] ?? []).contains { $0.contains("policy.budget.executions") })
        #expect(try h.records(of: over).allSatisfy { $0["event"] as? String != "execution.started" })
        h.expectEvent(over, type: Self.denied)
        try h.expectLedgerVerifies()
    }

    /// Plan: "Time window expiry blocks execution".
    @Test func timeWindowExpiryBlocksExecution() throws {
        let h = try AcceptanceHome()
        let open = try h.policy(Policies.yaml(extra: "window: {not_before: 2020-01-01T00:00:00Z, not_after: 2099-01-01T00:00:00Z}\n"))
        try h.expectCompleted(try h.run(["greet", "window"], policy: open), stdoutPrefix: "hello, window")
        let closed = try h.policy(Policies.yaml(extra: "window: {not_before: 2020-01-01T00:00:00Z, not_after: 2021-01-01T00:00:00Z}\n"))
        let late = try h.run(["greet", "window"], policy: closed)
        #expect(late.status == 126, "\(late.transcript)")
        #expect(late.reasons.contains { $0.contains("policy.window.expired") }, "\(late.reasons)")
        #expect(late.stdout.isEmpty)
        _ = try h.record("decision", of: late, decision: "deny")
        h.expectEvent(late, type: Self.denied)
        try h.expectLedgerVerifies()
    }
}
