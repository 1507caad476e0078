import Foundation
import Testing
import WardenCore
import WardenPolicy
import WardenHome
import WardenTrust

@Suite struct ApprovalTests {
    let f: HomeFixture
    let alice: Signer
    let policy: Policy

    init() throws {
        f = try HomeFixture()
        _ = try f.trust.generate(name: "alice", alg: .EdDSA, role: .approver)
        _ = try f.trust.generate(name: "carol", alg: .EdDSA, role: .approver)
        _ = try f.trust.generate(name: "runner", alg: .EdDSA, role: .runner)
        alice = try f.trust.signer(named: "alice", role: .approver)
        policy = try f.policy("approvals: {required_for: [exec], ttl_seconds: 60, approvers: [\(alice.kid)]}")
    }

    func pending(_ request: ExecutionRequest, now: Date = Date()) throws -> ApprovalNeed {
        guard case .approvalRequired(_, let need) = try f.gate.authorize(request, policy: f.prepared(policy), approvalToken: nil, now: now) else {
            throw WardenError.usage("test", "expected approval required")
        }
        return need
    }

    func code(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch let e as WardenError { return e.code } catch { return "\(error)" }
    }

    /// Signs an arbitrary approval payload (to forge the bindings one at a time).
    func forge(_ signer: Signer, rid: String, op: String = "exec", tenant: String = "acme", iat: Int64, exp: Int64, nonce: String = ApprovalToken.randomNonce()) throws -> String {
        try JWS.sign(payload: ["v": 1, "rid": .string(rid), "op": .string(op), "tenant": .string(tenant), "policy": "gated",
                               "iat": .int(iat), "exp": .int(exp), "nonce": .string(nonce)], type: ApprovalToken.type, signer: signer)
    }

    func authorize(_ token: String?, _ request: ExecutionRequest? = nil, now: Date = Date()) throws -> PolicyGate.Outcome {
        try f.gate.authorize(request ?? f.request(), policy: f.prepared(policy), approvalToken: token, now: now)
    }

    @Test func gatedOperationFailsWithoutApprovalAndIsListedPending() throws {
        let need = try pending(f.request())
        #expect(need.operation == "exec")
        #expect(need.requestID == f.request().id(policyName: "gated"))
        let list = try f.store.approvals()
        #expect(list.map(\.id) == [need.requestID])
        #expect(list[0].tenant == "acme" && list[0].ttlSeconds == 60 && list[0].approvers == [alice.kid])
        // Asking again does not duplicate it.
        _ = try pending(f.request())
        #expect(try f.store.approvals().count == 1)
    }

    @Test func approvedTokenAllowsOnceThenReplayIsRejected() throws {
        let need = try pending(f.request())
        let (token, _) = try ApprovalToken.issue(for: try f.store.approval(need.requestID), signer: alice, ttl: nil, now: Date())
        guard case .allowed(let d, _, _) = try authorize(token) else { Issue.record("expected allowed"); return }
        #expect(d.traceText.contains { $0.contains("approved by \(alice.kid)") })
        #expect(try f.store.approval(need.requestID).status == "approved")
        #expect(code { _ = try authorize(token) } == "approval.replayed")
        // The same request again is pending again and needs a fresh approval.
        _ = try pending(f.request())
        #expect(try f.store.approval(need.requestID).status == "pending")
        let (second, _) = try ApprovalToken.issue(for: try f.store.approval(need.requestID), signer: alice, ttl: nil, now: Date())
        guard case .allowed = try authorize(second) else { Issue.record("expected allowed with a fresh approval"); return }
    }

    @Test func expiredTokenIsRejected() throws {
        let now = Date()
        let need = try pending(f.request(), now: now)
        let (token, exp) = try ApprovalToken.issue(for: try f.store.approval(need.requestID), signer: alice, ttl: 10, now: now)
        #expect(code { _ = try authorize(token, now: exp) } == "approval.expired")
        #expect(code { _ = try authorize(token, now: exp.addingTimeInterval(3600)) } == "approval.expired")
        // Before expiry it works.
        guard case .allowed = try authorize(token, now: exp.addingTimeInterval(-1)) else { Issue.record("expected allowed"); return }
    }

    @Test func ttlIsBoundedByPolicy() throws {
        let now = Date()
        let need = try pending(f.request(), now: now)
        #expect(code { _ = try ApprovalToken.issue(for: try f.store.approval(need.requestID), signer: alice, ttl: 61, now: now) } == "approval.ttl_exceeded")
        let t = Int64(now.timeIntervalSince1970)
        let long = try forge(alice, rid: need.requestID, iat: t, exp: t + 3600)
        #expect(code { _ = try authorize(long, now: now) } == "approval.ttl_exceeded")
    }

    @Test func eachBindingHasItsOwnError() throws {
        let now = Date()
        let need = try pending(f.request(), now: now)
        let t = Int64(now.timeIntervalSince1970)
        // Another request (different argv) → wrong request.
        let other = f.request(["ls", "-l"])
        _ = try pending(other, now: now)
        let forOther = try ApprovalToken.issue(for: try f.store.approval(other.id(policyName: "gated")), signer: alice, ttl: nil, now: now).token
        #expect(code { _ = try authorize(forOther, now: now) } == "approval.wrong_request")
        #expect(code { _ = try authorize(try forge(alice, rid: need.requestID, tenant: "globex", iat: t, exp: t + 30), now: now) } == "approval.wrong_tenant")
        #expect(code { _ = try authorize(try forge(alice, rid: need.requestID, op: "exec+write", iat: t, exp: t + 30), now: now) } == "approval.wrong_operation")
        // Signed by a key without the approver role (the runner's own key).
        let runner = try f.trust.signer(named: "runner", role: .runner)
        #expect(code { _ = try authorize(try forge(runner, rid: need.requestID, iat: t, exp: t + 30), now: now) } == "approval.not_approver")
        // Signed by an approver the policy does not list.
        let carol = try f.trust.signer(named: "carol", role: .approver)
        #expect(code { _ = try authorize(try forge(carol, rid: need.requestID, iat: t, exp: t + 30), now: now) } == "approval.unlisted_approver")
        #expect(code { _ = try ApprovalToken.issue(for: try f.store.approval(need.requestID), signer: carol, ttl: nil, now: now) } == "approval.unlisted_approver")
        // Tampered payload → bad signature.
        let good = try forge(alice, rid: need.requestID, iat: t, exp: t + 30)
        let parts = good.split(separator: ".")
        let tampered = parts[0] + "." + Base64URL.encode(Array("{\"v\":1}".utf8)) + "." + parts[2]
        #expect(code { _ = try authorize(String(tampered), now: now) } == "approval.bad_token")
        #expect(code { _ = try authorize("not-a-token", now: now) } == "approval.bad_token")
        // And the correctly bound token still works: the failures above consumed nothing.
        guard case .allowed = try authorize(good, now: now) else { Issue.record("expected allowed"); return }
    }

    @Test func deniedRequestRejectsLaterTokens() throws {
        let need = try pending(f.request())
        let (token, _) = try ApprovalToken.issue(for: try f.store.approval(need.requestID), signer: alice, ttl: nil, now: Date())
        let denied = try f.store.deny(need.requestID, by: "bob", now: Date())
        #expect(denied.status == "denied")
        #expect(code { _ = try authorize(token) } == "approval.denied")
        #expect(try f.store.approvals().isEmpty)
    }
}

@Suite struct TrifectaTests {
    @Test func runThatCompletesTheTrifectaNeedsApprovalAndLabelsPersist() throws {
        let f = try HomeFixture()
        let p = try f.policy("exposure: {private_data: true}")
        var untrusted = f.request(["ls"], session: "s1")
        untrusted.exposure = [.untrustedContent]  // from the tool manifest
        guard case .allowed = try f.gate.authorize(untrusted, policy: f.prepared(p), approvalToken: nil, now: Date()) else {
            Issue.record("first run should be allowed"); return
        }
        // Reopen: labels are persistent, not in memory.
        let reopened = PolicyGate(store: PolicyStore(db: try WardenDatabaseReopen.open(f)), trust: f.trust)
        #expect(try reopened.store.state(tenant: "acme", session: "s1", policyName: "gated").sessionLabels == [.privateData, .untrustedContent])
        // `cat` carries the exfiltration label: together the three are present.
        let exfil = f.request(["cat"], session: "s1")
        guard case .approvalRequired(let d, let need) = try reopened.authorize(exfil, policy: f.prepared(p), approvalToken: nil, now: Date()) else {
            Issue.record("trifecta run must require approval"); return
        }
        #expect(need.operation == "trifecta")
        #expect(d.operations.contains(.trifecta))
        // The same command in a fresh session is fine (only two labels there).
        guard case .allowed = try reopened.authorize(f.request(["cat"], session: "s2"), policy: f.prepared(p), approvalToken: nil, now: Date()) else {
            Issue.record("fresh session should be allowed"); return
        }
    }
}

enum WardenDatabaseReopen {
    static func open(_ f: HomeFixture) throws -> WardenHome.WardenDatabase { try WardenHome.WardenDatabase(home: f.home) }
}

@Suite struct ApprovalConcurrencyTests {
    @Test func oneTokenRunsExactlyOnceAcrossProcesses() throws {
        guard let probe = HomeFixture.binary("warden-policy-probe") else { return }
        let f = try HomeFixture()
        _ = try f.trust.generate(name: "alice", alg: .EdDSA, role: .approver)
        let alice = try f.trust.signer(named: "alice", role: .approver)
        let text = """
            version: 1
            name: shared
            filesystem: {readonly: [/usr]}
            commands: {allow: [ls]}
            limits: {cpu_seconds: 1}
            budget: {executions: 100, cpu_seconds: 100000}
            approvals: {required_for: [exec], ttl_seconds: 300, approvers: [\(alice.kid)]}
            """
        let path = f.writePolicy(text)
        let policy = try PolicyLoader.parse(text)
        let request = ExecutionRequest(tenant: "acme", argv: ["ls"], workingDirectory: "/usr")
        guard case .approvalRequired(_, let need) = try f.gate.authorize(request, policy: PreparedPolicy(policy, host: LiveHostView()), approvalToken: nil, now: Date()) else {
            Issue.record("expected approval required"); return
        }
        let token = try ApprovalToken.issue(for: try f.store.approval(need.requestID), signer: alice, ttl: nil, now: Date()).token
        let procs = try (0..<4).map { _ in try HomeFixture.start(probe, [f.dir, path, "acme", "3", token]) }
        var allowed: Int64 = 0
        var replayed: Int64 = 0
        for json in try HomeFixture.reports(procs) {
            allowed += json["allowed"]?.intValue ?? 0
            replayed += json["errors"]?["approval.replayed"]?.intValue ?? 0
        }
        #expect(allowed == 1)
        #expect(replayed == 11)
        // Without a token the same request is back to approval-required.
        guard case .approvalRequired = try f.gate.authorize(request, policy: PreparedPolicy(policy, host: LiveHostView()), approvalToken: nil, now: Date()) else {
            Issue.record("expected approval required"); return
        }
    }
}
