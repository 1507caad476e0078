import GRDB

/// Tables of the Decide stage: budgets and their open reservations, sessions (trifecta
/// labels, start time), approval requests and consumed approval nonces.
enum PolicySchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("policy-v1") { db in
            try db.execute(sql: """
                CREATE TABLE policy_budget (
                    tenant TEXT NOT NULL,
                    policy TEXT NOT NULL,
                    executions_used INTEGER NOT NULL DEFAULT 0 CHECK (executions_used >= 0),
                    cpu_seconds_used INTEGER NOT NULL DEFAULT 0 CHECK (cpu_seconds_used >= 0),
                    PRIMARY KEY (tenant, policy)
                );
                CREATE TABLE policy_reservation (
                    id TEXT PRIMARY KEY NOT NULL,
                    tenant TEXT NOT NULL,
                    policy TEXT NOT NULL,
                    cpu_seconds INTEGER NOT NULL,
                    request_id TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                );
                CREATE TABLE policy_session (
                    tenant TEXT NOT NULL,
                    session TEXT NOT NULL,
                    labels INTEGER NOT NULL DEFAULT 0,
                    started_at INTEGER NOT NULL,
                    PRIMARY KEY (tenant, session)
                );
                CREATE TABLE approval_request (
                    id TEXT PRIMARY KEY NOT NULL,
                    tenant TEXT NOT NULL,
                    policy TEXT NOT NULL,
                    operation TEXT NOT NULL,
                    ttl_seconds INTEGER NOT NULL,
                    approvers TEXT NOT NULL,
                    request_json TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied')),
                    created_at INTEGER NOT NULL,
                    decided_at INTEGER,
                    decided_by TEXT
                );
                CREATE TABLE approval_nonce (
                    nonce TEXT PRIMARY KEY NOT NULL,
                    request_id TEXT NOT NULL,
                    approver_kid TEXT NOT NULL,
                    consumed_at INTEGER NOT NULL
                );
                """)
        }
    }
}
