import Foundation
import Testing
@testable import WardenPolicy
import WardenNet

@Suite struct DecisionTests {
    func limits(_ w: Int64, _ c: Int64, _ m: Int64, _ p: Int64, _ o: Int64) -> ResourceLimits {
        ResourceLimits(wallSeconds: w, cpuSeconds: c, memoryMB: m, pids: p, outputBytes: o)
    }

    func decide(limits l: ResourceLimits?) -> Decision {
        var r = Fixtures.request(["ls"])
        r.limits = l
        return PolicyEngine.decide(r, Fixtures.policy, DecisionState(), now: Fixtures.now, host: Fixtures.host)
    }

    @Test func requestMayAskLessNeverMore() {
        guard case .allow(let c) = decide(limits: limits(5, 1, 64, 8, 0)).verdict else { Issue.record("expected allow"); return }
        #expect(c.limits == limits(5, 1, 64, 8, 0))
        #expect(Fixtures.codes(decide(limits: limits(31, 1, 64, 8, 0))) == ["policy.limits.exceeds"])
        #expect(Fixtures.codes(decide(limits: limits(5, 1, 257, 8, 0))) == ["policy.limits.exceeds"])
        #expect(Fixtures.codes(decide(limits: limits(5, 1, 64, 8, Int64.max))) == ["policy.limits.exceeds"])
        #expect(Fixtures.codes(decide(limits: limits(-1, 1, 64, 8, 0))) == ["policy.limits.invalid"])
        #expect(Fixtures.codes(decide(limits: limits(5, 0, 64, 8, 0))) == ["policy.limits.invalid"])
        #expect(Fixtures.codes(decide(limits: limits(5, 1, Int64.min, 8, -1))) == ["policy.limits.invalid", "policy.limits.invalid"])
    }

    @Test func windowExpiryBlocksExecution() throws {
        var p = Fixtures.policy
        p.window.notBefore = Fixtures.now.addingTimeInterval(-100)
        p.window.notAfter = Fixtures.now.addingTimeInterval(100)
        #expect(Fixtures.decide(["ls"], policy: p).isAllowed)
        #expect(Fixtures.codes(Fixtures.decide(["ls"], policy: p, now: Fixtures.now.addingTimeInterval(100))) == ["policy.window.expired"])
        #expect(Fixtures.codes(Fixtures.decide(["ls"], policy: p, now: Fixtures.now.addingTimeInterval(-101))) == ["policy.window.not_yet"])
    }

    @Test func maxSessionDuration() {
        var p = Fixtures.policy
        p.window.maxSessionSeconds = 60
        let started = DecisionState(sessionStartedAt: Fixtures.now.addingTimeInterval(-60))
        #expect(Fixtures.decide(["ls"], policy: p, state: started).isAllowed)
        let old = DecisionState(sessionStartedAt: Fixtures.now.addingTimeInterval(-61))
        #expect(Fixtures.codes(Fixtures.decide(["ls"], policy: p, state: old)) == ["policy.session.expired"])
    }

    @Test func budgetExhaustionBlocks() {
        #expect(Fixtures.decide(["ls"], state: DecisionState(executionsUsed: 99)).isAllowed)
        #expect(Fixtures.codes(Fixtures.decide(["ls"], state: DecisionState(executionsUsed: 100))) == ["policy.budget.executions"])
        // CPU: 3600 budget, 10 s reserved per run.
        #expect(Fixtures.decide(["ls"], state: DecisionState(cpuSecondsUsed: 3590)).isAllowed)
        #expect(Fixtures.codes(Fixtures.decide(["ls"], state: DecisionState(cpuSecondsUsed: 3591))) == ["policy.budget.cpu"])
        var p = Fixtures.policy
        p.budget = BudgetRules()
        #expect(Fixtures.codes(Fixtures.decide(["ls"], policy: p)) == ["policy.budget.executions", "policy.budget.cpu"])
    }

    @Test func egressIsTheIntersectionOfManifestAndPolicy() throws {
        var p = Fixtures.policy
        p.network.egress = .allow
        p.network.allow = [try EgressRule(parsing: "140.82.112.0/20:443"), try EgressRule(parsing: "*.pythonhosted.org:443")]
        // Nothing declared: no network, even under a policy that allows some.
        let none = Fixtures.decide(["git", "fetch"], policy: p)
        #expect(none.isAllowed)
        #expect(none.confinement?.network == Confinement.NetworkMode.none)
        var r = Fixtures.request(["git", "fetch"])
        r.egress = [try EgressRule(parsing: "140.82.113.0/24:443"), try EgressRule(parsing: "files.pythonhosted.org:443")]
        let d = PolicyEngine.decide(r, p, DecisionState(), now: Fixtures.now, host: Fixtures.host)
        #expect(d.isAllowed, "\(d.traceText)")
        #expect(d.confinement?.network == .egress(EgressGrant(rules: r.egress)))
        // Asking for more than the policy allows is a denial naming the rule.
        r.egress.append(try EgressRule(parsing: "140.82.113.0/24:22"))
        let wider = PolicyEngine.decide(r, p, DecisionState(), now: Fixtures.now, host: Fixtures.host)
        #expect(Fixtures.codes(wider) == ["policy.network.denied"])
        #expect(wider.traceText.joined(separator: "\n").contains("140.82.113.0/24:22"), "\(wider.traceText)")
        // A policy denying egress denies any request for it.
        let denied = PolicyEngine.decide(r, Fixtures.policy, DecisionState(), now: Fixtures.now, host: Fixtures.host)
        #expect(Fixtures.codes(denied) == ["policy.network.denied"])
        #expect(Fixtures.decide(["git", "fetch"]).isAllowed)
    }

    @Test func auditOnlyGrantsThePolicyRulesAndRefusesNothing() throws {
        var p = Fixtures.policy
        p.network.egress = .allow
        p.network.auditOnly = true
        p.network.allow = [try EgressRule(parsing: "api.github.com:443")]
        let d = Fixtures.decide(["git", "fetch"], policy: p)
        #expect(d.isAllowed)
        #expect(d.confinement?.network == .egress(EgressGrant(rules: p.network.allow, auditOnly: true)))
    }

    @Test func deniesCollectAllReasons() {
        var p = Fixtures.policy
        p.window.notAfter = Fixtures.now
        let d = Fixtures.decide(["node"], paths: [.init("/etc/passwd")], policy: p, state: DecisionState(executionsUsed: 1000))
        #expect(Set(Fixtures.codes(d)) == ["policy.window.expired", "policy.command.not_allowed", "policy.path.outside", "policy.budget.executions"])
        #expect(d.traceText.contains { $0.hasPrefix("fail: window.not_after:") })
    }

    @Test func decideIsDeterministic() {
        let a = Fixtures.decide(["git", "status"], paths: [.init("src/main.py")])
        let b = Fixtures.decide(["git", "status"], paths: [.init("src/main.py")])
        #expect(a == b)
    }
}

@Suite struct RequestIDTests {
    @Test func requestIDBindsEveryField() {
        let base = Fixtures.request(["git", "status"], paths: [.init("a")])
        let id = base.id(policyName: "ci")
        #expect(id.hasPrefix("sha256:") && id.count == 71)
        #expect(id == base.id(policyName: "ci"))
        var variants: [ExecutionRequest] = []
        var r = base; r.tenant = "other"; variants.append(r)
        r = base; r.session = "s2"; variants.append(r)
        r = base; r.argv = ["git", "status", ""]; variants.append(r)
        r = base; r.workingDirectory = "/work"; variants.append(r)
        r = base; r.paths = [.init("a", write: true)]; variants.append(r)
        r = base; r.exposure = [.privateData]; variants.append(r)
        r = base; r.tool = "x@1"; variants.append(r)
        r = base; r.limits = .defaults; variants.append(r)
        let ids = Set(variants.map { $0.id(policyName: "ci") } + [base.id(policyName: "other")])
        #expect(ids.count == variants.count + 1)
        #expect(!ids.contains(id))
    }
}

extension Decision {
    /// The confinement of an allowed decision.
    var confinement: Confinement? { if case .allow(let c) = verdict { c } else { nil } }
}
