import Foundation
import GRDB
import WardenCore
import WardenHome

/// Persistent Decide-stage state in the home database: budgets, reservations, sessions,
/// pending approvals and consumed nonces. Every mutation runs in an IMMEDIATE transaction,
/// so concurrent `warden` processes serialize on SQLite's write lock and re-check the
/// budget inside the lock: two runs can never both spend the last unit.
public final class PolicyStore: Sendable {
    public let db: WardenDatabase

    public init(db: WardenDatabase) { self.db = db }

    /// An open budget reservation, returned by `admit` and closed by `charge`.
    public struct Reservation: Sendable, Hashable {
        public let id: String
        public let tenant: String
        public let policy: String
        public let cpuSeconds: Int64
    }

    /// An approval request as listed by `warden approvals list`.
    public struct ApprovalRecord: Sendable, Hashable {
        public let id: String
        public let tenant: String
        public let policy: String
        public let operation: String
        /// The policy's approval TTL and approver key ids when the request was recorded.
        public let ttlSeconds: Int64
        public let approvers: [String]
        public let request: JSONValue
        public let status: String
        public let createdAt: Date
    }

    /// When a write reaches the disk.
    public enum Durability: Sendable {
        /// fsynced before the call returns (the database's `synchronous = FULL`).
        case synced
        /// Committed — it survives this process being killed — but fsynced only by the next
        /// synced commit to this database (WAL: one fsync persists every earlier frame). For
        /// callers whose next step is such a commit, as `warden run`'s ledger commits are,
        /// before anything runs and before it returns.
        case deferred
    }

    func immediate<T>(_ durability: Durability = .synced, _ body: @escaping (Database) throws -> T) throws(WardenError) -> T {
        do {
            return try db.pool.writeWithoutTransaction { db in
                if durability == .deferred { try db.execute(sql: "PRAGMA synchronous = NORMAL") }
                var result: T?
                do {
                    try db.inTransaction(.immediate) {
                        result = try body(db)
                        return .commit
                    }
                } catch {
                    if durability == .deferred { try db.execute(sql: "PRAGMA synchronous = FULL") }
                    throw error
                }
                // Every other write on this connection (the ledger's) must stay fully synced:
                // if this cannot be restored the caller fails rather than continue.
                if durability == .deferred { try db.execute(sql: "PRAGMA synchronous = FULL") }
                guard let result else { throw WardenError.usage("db.internal", "transaction produced no result") }
                return result
            }
        } catch let e as WardenError {
            throw e
        } catch {
            throw .usage("db.write_failed", "\(db.path): \(error)")
        }
    }

    // MARK: state for decide

    /// The persistent facts `decide` needs for `request` under `policyName`.
    public func state(tenant: String, session: String, policyName: String) throws(WardenError) -> DecisionState {
        try db.read { db in
            var s = DecisionState()
            if let row = try Row.fetchOne(db, sql: "SELECT executions_used, cpu_seconds_used FROM policy_budget WHERE tenant = ? AND policy = ?",
                                          arguments: [tenant, policyName]) {
                s.executionsUsed = row[0]
                s.cpuSecondsUsed = row[1]
            }
            if let row = try Row.fetchOne(db, sql: "SELECT labels, started_at FROM policy_session WHERE tenant = ? AND session = ?",
                                          arguments: [tenant, session]) {
                s.sessionLabels = ExposureLabels(rawValue: UInt8(truncatingIfNeeded: row[0] as Int64))
                s.sessionStartedAt = Date(timeIntervalSince1970: TimeInterval(row[1] as Int64))
            }
            return s
        }
    }

    /// Makes an allowed decision durable before the run starts, atomically: re-checks the
    /// budget under the write lock and reserves one execution plus the run's CPU limit,
    /// consumes the approval's nonce (exactly once; a replay is `approval.replayed`), and
    /// adds the run's labels to the session. Throws `denied` when any of it fails, in which
    /// case nothing is written.
    public func admit(_ decision: Decision, request: ExecutionRequest, policy: Policy, approval: VerifiedApproval?, now: Date,
                      durability: Durability = .synced) throws(WardenError) -> Reservation {
        guard case .allow(let confinement) = decision.verdict else {
            throw .denied("policy.not_allowed", "cannot admit a request the policy did not allow")
        }
        let cpu = confinement.limits.cpuSeconds
        let id = UUID().uuidString.lowercased()
        let requestID = request.id(policyName: policy.name)
        let tenant = request.tenant, name = policy.name, session = request.sessionID
        let budget = policy.budget
        let labels = decision.runLabels
        let seconds = Int64(now.timeIntervalSince1970.rounded(.down))
        return try immediate(durability) { db in
            let row = try Row.fetchOne(db, sql: "SELECT executions_used, cpu_seconds_used FROM policy_budget WHERE tenant = ? AND policy = ?",
                                       arguments: [tenant, name])
            let used: Int64 = row?[0] ?? 0
            let cpuUsed: Int64 = row?[1] ?? 0
            guard used < budget.executions else {
                throw WardenError.denied("policy.budget.executions", "denied: execution budget exhausted (\(used) of \(budget.executions) used) for tenant \(tenant), policy \(name)")
            }
            guard cpuUsed <= budget.cpuSeconds - cpu else {
                throw WardenError.denied("policy.budget.cpu", "denied: CPU budget cannot cover \(cpu)s (\(cpuUsed) of \(budget.cpuSeconds) used) for tenant \(tenant), policy \(name)")
            }
            if let approval {
                if try String.fetchOne(db, sql: "SELECT status FROM approval_request WHERE id = ?", arguments: [approval.requestID]) == "denied" {
                    throw WardenError.denied("approval.denied", "denied: request \(approval.requestID) was refused by an approver")
                }
                do {
                    try db.execute(sql: "INSERT INTO approval_nonce (nonce, request_id, approver_kid, consumed_at) VALUES (?, ?, ?, ?)",
                                   arguments: [approval.nonce, approval.requestID, approval.approverKid, seconds])
                } catch let e as DatabaseError where e.resultCode == .SQLITE_CONSTRAINT {
                    throw WardenError.denied("approval.replayed", "denied: approval nonce \(approval.nonce) was already used")
                }
                try db.execute(sql: "UPDATE approval_request SET status = 'approved', decided_at = ?, decided_by = ? WHERE id = ? AND status = 'pending'",
                               arguments: [seconds, approval.approverKid, approval.requestID])
            }
            try db.execute(sql: """
                INSERT INTO policy_budget (tenant, policy, executions_used, cpu_seconds_used) VALUES (?, ?, 1, ?)
                ON CONFLICT (tenant, policy) DO UPDATE SET executions_used = executions_used + 1, cpu_seconds_used = cpu_seconds_used + excluded.cpu_seconds_used
                """, arguments: [tenant, name, cpu])
            try db.execute(sql: "INSERT INTO policy_reservation (id, tenant, policy, cpu_seconds, request_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [id, tenant, name, cpu, requestID, seconds])
            try db.execute(sql: """
                INSERT INTO policy_session (tenant, session, labels, started_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (tenant, session) DO UPDATE SET labels = labels | excluded.labels
                """, arguments: [tenant, session, Int64(labels.rawValue), seconds])
            return Reservation(id: id, tenant: tenant, policy: name, cpuSeconds: cpu)
        }
    }

    /// Closes a reservation: replaces the reserved CPU-seconds with the measured usage
    /// (rounded up). The execution stays counted. Charging twice is an error.
    public func charge(_ reservation: Reservation, cpuSeconds used: Double, durability: Durability = .synced) throws(WardenError) {
        guard used.isFinite, used >= 0, used < 1e12 else { throw .usage("policy.charge_invalid", "CPU usage \(used) is not a valid measurement") }
        let actual = Int64(used.rounded(.up))
        try immediate(durability) { db in
            guard let reserved = try Int64.fetchOne(db, sql: "SELECT cpu_seconds FROM policy_reservation WHERE id = ?", arguments: [reservation.id]) else {
                throw WardenError.usage("policy.reservation_unknown", "reservation \(reservation.id) is unknown or already charged")
            }
            try db.execute(sql: "DELETE FROM policy_reservation WHERE id = ?", arguments: [reservation.id])
            try db.execute(sql: "UPDATE policy_budget SET cpu_seconds_used = MAX(0, cpu_seconds_used - ? + ?) WHERE tenant = ? AND policy = ?",
                           arguments: [reserved, actual, reservation.tenant, reservation.policy])
        }
    }

    // MARK: approvals

    /// Records (idempotently) that `request` awaits approval for `need`. A request whose
    /// earlier approval was used becomes pending again (each approval runs once); a denied
    /// request stays denied.
    public func recordPending(_ need: ApprovalNeed, request: ExecutionRequest, policy: Policy, now: Date) throws(WardenError) {
        let json = CanonicalJSON.string(request.canonical(policyName: policy.name))
        let seconds = Int64(now.timeIntervalSince1970.rounded(.down))
        let tenant = request.tenant, name = policy.name, ttl = policy.approvals.ttlSeconds
        let approvers = CanonicalJSON.string(.array(policy.approvals.approvers.map { .string($0) }))
        try immediate { db in
            try db.execute(sql: """
                INSERT INTO approval_request (id, tenant, policy, operation, ttl_seconds, approvers, request_json, status, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)
                ON CONFLICT (id) DO UPDATE SET status = 'pending', created_at = excluded.created_at, decided_at = NULL, decided_by = NULL,
                    ttl_seconds = excluded.ttl_seconds, approvers = excluded.approvers
                WHERE status = 'approved'
                """, arguments: [need.requestID, tenant, name, need.operation, ttl, approvers, json, seconds])
        }
    }

    /// Approval requests, newest first; `status` nil lists all.
    public func approvals(status: String? = "pending") throws(WardenError) -> [ApprovalRecord] {
        try db.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, tenant, policy, operation, request_json, status, created_at, ttl_seconds, approvers FROM approval_request
                WHERE (? IS NULL OR status = ?) ORDER BY created_at DESC, id
                """, arguments: [status, status])
            return rows.map { row in
                let text: String = row[4]
                let approversText: String = row[8]
                let approvers = ((try? StrictJSONParser.parse(approversText))?.arrayValue ?? []).compactMap(\.stringValue)
                return ApprovalRecord(id: row[0], tenant: row[1], policy: row[2], operation: row[3], ttlSeconds: row[7], approvers: approvers,
                                      request: (try? StrictJSONParser.parse(text)) ?? .string(text), status: row[5],
                                      createdAt: Date(timeIntervalSince1970: TimeInterval(row[6] as Int64)))
            }
        }
    }

    /// The approval request `id` (a full `sha256:...` id or a unique prefix of its hex).
    public func approval(_ id: String) throws(WardenError) -> ApprovalRecord {
        let all = try approvals(status: nil)
        let matches = all.filter { $0.id == id || ($0.id.hasPrefix("sha256:") && id.count >= 8 && $0.id.dropFirst(7).hasPrefix(id)) }
        guard let first = matches.first else { throw .notFound("approval.unknown", "no approval request \(id)") }
        guard matches.count == 1 else { throw .usage("approval.ambiguous", "\(id) matches \(matches.count) requests; give more digits") }
        return first
    }

    /// Refuses a pending request: later tokens for it are rejected (`approval.denied`).
    public func deny(_ id: String, by actor: String, now: Date) throws(WardenError) -> ApprovalRecord {
        let record = try approval(id)
        guard record.status == "pending" else {
            throw .usage("approval.not_pending", "request \(record.id) is already \(record.status)")
        }
        let seconds = Int64(now.timeIntervalSince1970.rounded(.down))
        try immediate { db in
            try db.execute(sql: "UPDATE approval_request SET status = 'denied', decided_at = ?, decided_by = ? WHERE id = ? AND status = 'pending'",
                           arguments: [seconds, actor, record.id])
        }
        return try approval(record.id)
    }

    /// True when `nonce` was already consumed.
    public func isConsumed(nonce: String) throws(WardenError) -> Bool {
        try db.read { db in try Bool.fetchOne(db, sql: "SELECT 1 FROM approval_nonce WHERE nonce = ?", arguments: [nonce]) ?? false }
    }
}
