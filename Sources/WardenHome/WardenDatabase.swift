import CWardenSQLite
import Foundation
import GRDB
import WardenCore

/// The home's SQLite database (`warden.db`), in WAL mode with full synchronous commits:
/// once a write returns it survives a crash.
public final class WardenDatabase: Sendable {
    /// The GRDB pool. Writers are serialized by SQLite; readers run concurrently.
    public let pool: DatabasePool
    public let path: String

    /// Opens (creating if needed) the database at `path` and applies every migration.
    public init(path: String) throws(WardenError) {
        self.path = path
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // Every CLI process is short-lived: SQLite's checkpoint when the last connection
            // closes (two fsyncs, then the WAL deleted and recreated, with two more, by the
            // next process) would cost each command four fsyncs on top of its own commits.
            // Committed data is in the fsynced WAL either way; SQLite's automatic checkpoint
            // keeps the WAL bounded. The next process's first connection reads the whole WAL
            // back (recovery), so it is kept short: a checkpoint every 128 pages (512 KiB)
            // instead of SQLite's 1000.
            let rc = warden_sqlite_no_checkpoint_on_close(UnsafeMutableRawPointer(db.sqliteConnection))
            guard rc == 0 else { throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: "cannot disable checkpoint on close") }
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 128")
        }
        config.busyMode = .timeout(30)
        do {
            let fd = Foundation.open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
            if fd >= 0 { close(fd) }
            pool = try DatabasePool(path: path, configuration: config)
            // GRDB switches a pool's writer to `synchronous = NORMAL` when it enables WAL,
            // after `prepareDatabase` ran: without this a commit survives a killed process
            // but not a power loss, and "durable" would not mean fsynced.
            try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
            try WardenMigrations.migrator.migrate(pool)
        } catch {
            throw .usage("db.open_failed", "\(path): cannot open database: \(error)")
        }
    }

    /// Opens the database of `home`.
    public convenience init(home: Home) throws(WardenError) {
        try self.init(path: home.databasePath)
    }

    /// Runs `body` in a write transaction, mapping database failures to `WardenError`.
    public func write<T>(_ body: (Database) throws -> T) throws(WardenError) -> T {
        do {
            return try pool.write(body)
        } catch let e as WardenError {
            throw e
        } catch {
            throw .usage("db.write_failed", "\(path): \(error)")
        }
    }

    /// Runs `body` in a read transaction.
    public func read<T>(_ body: (Database) throws -> T) throws(WardenError) -> T {
        do {
            return try pool.read(body)
        } catch let e as WardenError {
            throw e
        } catch {
            throw .usage("db.read_failed", "\(path): \(error)")
        }
    }
}
