import Foundation
import GRDB
import WardenCore
import WardenHome

/// `LedgerStore` in the home database (tables from `LedgerSchema`). WAL with
/// synchronous=FULL, asserted before every commit (`requireFullSync`): a commit is on disk
/// (the WAL fsynced) when it returns.
/// `BEGIN IMMEDIATE` takes the write lock before the state is read, so appenders in other
/// processes cannot fork the chain.
public final class SQLiteLedgerStore: LedgerStore {
    public let database: WardenDatabase

    public init(database: WardenDatabase) {
        self.database = database
    }

    private var path: String { database.path }

    private func mapped(_ error: any Error, _ what: String) -> WardenError {
        if let e = error as? WardenError { return e }
        return .usage("ledger.storage_failed", "\(path): ledger \(what) failed: \(error)")
    }

    static func readState(_ db: Database) throws -> LedgerState {
        // Runs in every commit: the row is read in place through a cursor, by column index
        // (no row copy, no case-insensitive name lookup).
        let select = try db.cachedStatement(sql: "SELECT size, last_hash, frontier, checkpoint_size, pending_since_ms FROM ledger_state WHERE id = 1")
        let cursor = try Row.fetchCursor(select)
        guard let row = try cursor.next() else { return .genesis }
        let size: Int64 = row[0]
        let lastHash = try row.withUnsafeData(atIndex: 1) { [UInt8]($0 ?? Data()) }
        let serialized = try row.withUnsafeData(atIndex: 2) { [UInt8]($0 ?? Data()) }
        guard lastHash.count == 32, let frontier = MerkleFrontier(serialized: serialized), frontier.size == UInt64(size) else {
            throw WardenError.denied("ledger.state_corrupt", "ledger_state row is malformed; run `warden audit verify`")
        }
        return LedgerState(size: size, lastHash: lastHash, frontier: frontier, checkpointSize: row[3], pendingSinceMillis: row[4])
    }

    /// Makes this connection sync the WAL at every commit, and checks it took effect.
    /// GRDB's `DatabasePool` sets `synchronous = NORMAL` on its writer after
    /// `Configuration.prepareDatabase` has run (WAL setup), which overrides the home's
    /// `FULL`: commits would then survive a process crash but not a power loss or kernel
    /// crash. An append must be durable when it returns, so the ledger asserts it here,
    /// outside the transaction (the setting cannot change inside one).
    /// Checked before every commit (one query); set when anything changed it.
    static func requireFullSync(_ db: Database) throws {
        var level = try Int.fetchOne(db.cachedStatement(sql: "PRAGMA synchronous")) ?? 0
        if level < 2 {
            try db.cachedStatement(sql: "PRAGMA synchronous = FULL").execute()
            level = try Int.fetchOne(db.cachedStatement(sql: "PRAGMA synchronous")) ?? 0
        }
        guard level >= 2 else {
            throw WardenError.usage("ledger.storage_failed", "SQLite refused synchronous=FULL (level \(level)); ledger commits would not be durable")
        }
    }

    public func state() throws(WardenError) -> LedgerState {
        do {
            return try database.pool.read { db in try Self.readState(db) }
        } catch {
            throw mapped(error, "read")
        }
    }

    public func commit<T: Sendable>(_ body: (LedgerState) throws(WardenError) -> (LedgerWrite, T)) throws(WardenError) -> T {
        do {
            return try database.pool.writeWithoutTransaction { db in
                try Self.requireFullSync(db)
                var result: T?
                try db.inTransaction(.immediate) {
                    let state = try Self.readState(db)
                    // The state row must agree with the records table, or an external edit
                    // (or a restore) happened: refuse to extend a chain we cannot vouch for.
                    let next = try Int64.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(seq) + 1, 0) FROM ledger_record")) ?? 0
                    guard next == state.size else {
                        throw WardenError.denied("ledger.state_mismatch", "ledger state says \(state.size) records but the table holds \(next); run `warden audit verify`")
                    }
                    let (write, value) = try body(state)
                    let insert = try db.cachedStatement(sql: "INSERT INTO ledger_record (seq, hash, body) VALUES (?, ?, ?)")
                    for r in write.records {
                        try insert.execute(arguments: [r.seq, Data(r.hash), Data(r.bytes)])
                    }
                    for c in write.checkpoints {
                        try db.cachedStatement(sql: "INSERT OR IGNORE INTO ledger_checkpoint (size, note, created_ms) VALUES (?, ?, ?)")
                            .execute(arguments: [c.size, c.note, c.createdMillis])
                    }
                    let s = write.state
                    try db.cachedStatement(sql: """
                        INSERT INTO ledger_state (id, size, last_hash, frontier, checkpoint_size, pending_since_ms)
                        VALUES (1, ?, ?, ?, ?, ?)
                        ON CONFLICT(id) DO UPDATE SET size = excluded.size, last_hash = excluded.last_hash,
                          frontier = excluded.frontier, checkpoint_size = excluded.checkpoint_size, pending_since_ms = excluded.pending_since_ms
                        """).execute(arguments: [s.size, Data(s.lastHash), Data(s.frontier.serialized), s.checkpointSize, s.pendingSinceMillis])
                    result = value
                    return .commit
                }
                guard let result else { throw WardenError.usage("ledger.storage_failed", "commit produced no result") }
                return result
            }
        } catch {
            throw mapped(error, "commit")
        }
    }

    private static func record(_ row: Row) -> StoredRecord {
        StoredRecord(seq: row[0], hash: [UInt8]((row[1] as Data?) ?? Data()), bytes: [UInt8]((row[2] as Data?) ?? Data()))
    }

    public func records(from: Int64, limit: Int) throws(WardenError) -> [StoredRecord] {
        do {
            return try database.pool.read { db in
                try Row.fetchAll(db, sql: "SELECT seq, hash, body FROM ledger_record WHERE seq >= ? ORDER BY seq LIMIT ?",
                                 arguments: [from, limit]).map(Self.record)
            }
        } catch {
            throw mapped(error, "read")
        }
    }

    public func forEachRecord(from: Int64, _ body: (StoredRecord) throws(WardenError) -> Bool) throws(WardenError) {
        do {
            try database.pool.read { db in
                // Rows are read in place (no intermediate Data copies): one copy per column.
                let cursor = try Row.fetchCursor(db, sql: "SELECT seq, hash, body FROM ledger_record WHERE seq >= ? ORDER BY seq", arguments: [from])
                while let row = try cursor.next() {
                    let hash = try row.withUnsafeData(atIndex: 1) { [UInt8]($0 ?? Data()) }
                    let bytes = try row.withUnsafeData(atIndex: 2) { [UInt8]($0 ?? Data()) }
                    if try !body(StoredRecord(seq: row[0], hash: hash, bytes: bytes)) { break }
                }
            }
        } catch {
            throw mapped(error, "read")
        }
    }

    public func recordHashes(count: Int64) throws(WardenError) -> [[UInt8]] {
        do {
            return try database.pool.read { db in
                var out: [[UInt8]] = []
                out.reserveCapacity(Int(max(0, count)))
                let cursor = try Row.fetchCursor(db, sql: "SELECT hash FROM ledger_record WHERE seq < ? ORDER BY seq", arguments: [count])
                while let row = try cursor.next() { out.append([UInt8]((row[0] as Data?) ?? Data())) }
                return out
            }
        } catch {
            throw mapped(error, "read")
        }
    }

    public func checkpoints() throws(WardenError) -> [StoredCheckpoint] {
        do {
            return try database.pool.read { db in
                try Row.fetchAll(db, sql: "SELECT size, note, created_ms FROM ledger_checkpoint ORDER BY size").map {
                    StoredCheckpoint(size: $0[0], note: $0[1], createdMillis: $0[2])
                }
            }
        } catch {
            throw mapped(error, "read")
        }
    }

    public func latestCheckpoint() throws(WardenError) -> StoredCheckpoint? {
        do {
            return try database.pool.read { db in
                try Row.fetchOne(db, sql: "SELECT size, note, created_ms FROM ledger_checkpoint ORDER BY size DESC LIMIT 1").map {
                    StoredCheckpoint(size: $0[0], note: $0[1], createdMillis: $0[2])
                }
            }
        } catch {
            throw mapped(error, "read")
        }
    }
}
