import GRDB

/// Tables of the Record stage: the audit ledger (records, signed checkpoints, and the
/// appender's state row). Records are append-only; triggers refuse UPDATE and DELETE so a
/// mistaken tool cannot rewrite history (an attacker with the file still can — that is
/// what signatures, the hash chain and externally held checkpoints detect).
enum LedgerSchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("ledger-v1") { db in
            try db.execute(sql: """
                CREATE TABLE ledger_record (
                    seq INTEGER PRIMARY KEY NOT NULL,
                    hash BLOB NOT NULL,
                    body BLOB NOT NULL
                );
                CREATE TABLE ledger_checkpoint (
                    size INTEGER PRIMARY KEY NOT NULL,
                    note TEXT NOT NULL,
                    created_ms INTEGER NOT NULL
                );
                CREATE TABLE ledger_state (
                    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
                    size INTEGER NOT NULL,
                    last_hash BLOB NOT NULL,
                    frontier BLOB NOT NULL,
                    checkpoint_size INTEGER NOT NULL,
                    pending_since_ms INTEGER NOT NULL
                );
                CREATE TRIGGER ledger_record_no_update BEFORE UPDATE ON ledger_record
                    BEGIN SELECT RAISE(ABORT, 'ledger records are append-only'); END;
                CREATE TRIGGER ledger_record_no_delete BEFORE DELETE ON ledger_record
                    BEGIN SELECT RAISE(ABORT, 'ledger records are append-only'); END;
                CREATE TRIGGER ledger_checkpoint_no_update BEFORE UPDATE ON ledger_checkpoint
                    BEGIN SELECT RAISE(ABORT, 'ledger checkpoints are append-only'); END;
                CREATE TRIGGER ledger_checkpoint_no_delete BEFORE DELETE ON ledger_checkpoint
                    BEGIN SELECT RAISE(ABORT, 'ledger checkpoints are append-only'); END;
                """)
        }
    }
}
