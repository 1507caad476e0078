import GRDB

/// Tables of the Admit stage: the trust store, the armory index and authorizations.
enum TrustSchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("trust-v1") { db in
            try db.execute(sql: """
                CREATE TABLE trusted_key (
                    name TEXT PRIMARY KEY NOT NULL,
                    kid TEXT NOT NULL UNIQUE,
                    alg TEXT NOT NULL,
                    role TEXT NOT NULL,
                    public_pem TEXT NOT NULL,
                    has_private INTEGER NOT NULL,
                    not_after INTEGER,
                    revoked_at INTEGER,
                    created_at INTEGER NOT NULL
                );
                CREATE TABLE tool (
                    name TEXT NOT NULL,
                    version TEXT NOT NULL,
                    digest TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    publisher_kid TEXT NOT NULL,
                    jti TEXT NOT NULL,
                    manifest_jws TEXT NOT NULL,
                    added_at INTEGER NOT NULL,
                    revoked_at INTEGER,
                    PRIMARY KEY (name, version)
                );
                CREATE INDEX tool_digest ON tool(digest);
                CREATE UNIQUE INDEX tool_jti ON tool(publisher_kid, jti);
                CREATE TABLE authorization (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    digest TEXT NOT NULL,
                    tenant TEXT NOT NULL,
                    authorizer_kid TEXT NOT NULL,
                    required INTEGER NOT NULL,
                    not_after INTEGER,
                    statement_jws TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    revoked_at INTEGER,
                    UNIQUE (digest, tenant, authorizer_kid)
                );
                """)
        }
    }
}
