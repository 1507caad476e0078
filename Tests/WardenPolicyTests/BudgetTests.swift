import Foundation
import Testing
import WardenCore
import WardenHome
import WardenPolicy

@Suite struct BudgetTests {
    func outcome(_ f: HomeFixture, _ p: Policy, now: Date = Date()) throws -> PolicyGate.Outcome {
        try f.gate.authorize(f.request(), policy: f.prepared(p), approvalToken: nil, now: now)
    }

    @Test func exhaustionBlocksFurtherRunsAndPersists() throws {
        let f = try HomeFixture()
        let p = try f.policy(executions: 3)
        for _ in 0..<3 {
            guard case .allowed(_, _, let r) = try outcome(f, p) else { Issue.record("expected allowed"); return }
            try f.gate.complete(r, cpuSeconds: 0.5)
        }
        guard case .denied(let d) = try outcome(f, p) else { Issue.record("expected denied"); return }
        #expect(d.denials.map(\.code) == ["policy.budget.executions"])
        // Another store over the same file sees the same use.
        let state = try PolicyStore(db: try WardenDatabase(home: f.home)).state(tenant: "acme", session: "default", policyName: "gated")
        #expect(state.executionsUsed == 3)
        #expect(state.cpuSecondsUsed == 3)  // 0.5 s each, rounded up
        // Budgets are per tenant.
        guard case .allowed = try f.gate.authorize(f.request(tenant: "globex"), policy: f.prepared(p), approvalToken: nil, now: Date()) else {
            Issue.record("another tenant has its own budget"); return
        }
    }

    @Test func cpuIsReservedBeforeAndChargedAfter() throws {
        let f = try HomeFixture()
        let p = try f.policy()
        guard case .allowed(_, let c, let r) = try outcome(f, p) else { Issue.record("expected allowed"); return }
        #expect(c.limits.cpuSeconds == 2)
        #expect(try f.store.state(tenant: "acme", session: "default", policyName: "gated").cpuSecondsUsed == 2)
        try f.gate.complete(r, cpuSeconds: 0.01)
        #expect(try f.store.state(tenant: "acme", session: "default", policyName: "gated").cpuSecondsUsed == 1)
        #expect(throws: WardenError.self) { try f.gate.complete(r, cpuSeconds: 1) }  // charged once only
    }

    /// `warden run` reserves and charges with deferred sync (its next ledger commit is
    /// synced); the database connection must be back to fully synced commits afterwards,
    /// whether the transaction committed or failed, or the ledger's commits would lose it.
    @Test func deferredSyncWritesRestoreFullSync() throws {
        let f = try HomeFixture()
        func synchronous() throws -> Int? { try f.db.write { try Int.fetchOne($0, sql: "PRAGMA synchronous") } }
        #expect(try synchronous() == 2)  // FULL (GRDB would leave a WAL pool at NORMAL)
        let p = try f.policy(executions: 1)
        let allowed = try f.gate.authorize(f.request(), policy: f.prepared(p), approvalToken: nil, now: Date(), durability: .deferred)
        guard case .allowed(_, _, let r) = allowed else { Issue.record("expected allowed"); return }
        #expect(try synchronous() == 2)
        try f.gate.complete(r, cpuSeconds: 0.2, durability: .deferred)
        #expect(try synchronous() == 2)
        // The deferred writes are committed: another connection sees them.
        #expect(try PolicyStore(db: try WardenDatabase(home: f.home)).state(tenant: "acme", session: "default", policyName: "gated").executionsUsed == 1)
        // A failing deferred transaction (charged twice) restores it too.
        #expect(throws: WardenError.self) { try f.gate.complete(r, cpuSeconds: 1, durability: .deferred) }
        #expect(try synchronous() == 2)
    }

    @Test func invalidChargesAreRefused() throws {
        let f = try HomeFixture()
        guard case .allowed(_, _, let r) = try outcome(f, try f.policy()) else { Issue.record("expected allowed"); return }
        for bad in [Double.nan, -1, .infinity, 1e300] {
            #expect(throws: WardenError.self) { try f.gate.complete(r, cpuSeconds: bad) }
        }
        try f.gate.complete(r, cpuSeconds: 1)
    }

    @Test func concurrentProcessesCannotOverspend() throws {
        guard let probe = HomeFixture.binary("warden-policy-probe") else { return }
        let f = try HomeFixture()
        let policy = f.writePolicy("""
            version: 1
            name: shared
            filesystem: {readonly: [/usr]}
            commands: {allow: [ls]}
            limits: {cpu_seconds: 1}
            budget: {executions: 25, cpu_seconds: 100000}
            """)
        let procs = try (0..<4).map { _ in try HomeFixture.start(probe, [f.dir, policy, "acme", "15"]) }
        var allowed: Int64 = 0
        var refused: Int64 = 0
        for json in try HomeFixture.reports(procs) {
            allowed += json["allowed"]?.intValue ?? 0
            refused += json["denied"]?.intValue ?? 0
            refused += json["errors"]?["policy.budget.executions"]?.intValue ?? 0
        }
        // 60 attempts against a budget of 25: exactly 25 ran, every other one was refused.
        #expect(allowed == 25)
        #expect(refused == 35)
        #expect(try f.store.state(tenant: "acme", session: "default", policyName: "shared").executionsUsed == 25)
    }
}
