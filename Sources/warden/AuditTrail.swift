import Foundation
import WardenCore
import WardenHome
import WardenLedger

/// Appends administrative records (approvals, denials) to the node's ledger from CLI commands.
/// The ledger is opened before the action, so an action that cannot be recorded is not taken.
struct AuditTrail {
    let ledger: Ledger

    static func open(home: Home, db: WardenDatabase) async throws(WardenError) -> AuditTrail {
        AuditTrail(ledger: try await NodeLedger.open(home: home, db: db, recordOpening: false))
    }

    func append(_ event: LedgerEvent, tenant: String, subject: String, decision: String, details: JSONValue) async throws(WardenError) -> Int64 {
        let r = try await ledger.append(event: event, tenant: tenant, actor: Actor.current, subject: subject, decision: decision, details: details)
        return r.seq
    }

    func close() { ledger.close() }

    /// Records a trust-store or armory change. Before the node has a runner key there is no
    /// ledger to write to (bootstrap: the first keys are generated before it); the change is
    /// then reported as unrecorded on stderr. Any other ledger failure is an error.
    static func recordAdministration(home: Home, db: WardenDatabase, _ event: LedgerEvent, tenant: String = "",
                                     subject: String, decision: String = "allow", details: JSONValue) async throws(WardenError) {
        let trail: AuditTrail
        do throws(WardenError) {
            trail = try await open(home: home, db: db)
        } catch where error.code == "ledger.no_runner_key" {
            Terminal.warn("note: not recorded in the ledger (no runner key yet): \(event.rawValue) \(subject)")
            return
        }
        defer { trail.close() }
        _ = try await trail.append(event, tenant: tenant, subject: subject, decision: decision, details: details)
    }
}
