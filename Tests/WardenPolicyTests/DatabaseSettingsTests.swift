import Foundation
import GRDB
import Testing
import WardenHome

/// The home database's connection settings that durability and per-command cost rest on.
@Suite struct DatabaseSettingsTests {
    @Test func writerIsFullySyncedAndClosingDoesNotCheckpoint() throws {
        let dir = NSTemporaryDirectory() + "warden-dbsettings-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/warden.db"
        do {
            let db = try WardenDatabase(path: path)
            // GRDB leaves a WAL pool's writer at NORMAL (2 = FULL).
            #expect(try db.write { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 2)
            try db.write { try $0.execute(sql: "CREATE TABLE probe (x INTEGER)"); try $0.execute(sql: "INSERT INTO probe VALUES (42)") }
        }
        // Closed without a checkpoint: the committed pages are still in the WAL (which SQLite
        // would otherwise have copied back, fsynced and deleted).
        let wal = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
        #expect(wal > 0)
        // And a new process-equivalent open sees the data.
        let again = try WardenDatabase(path: path)
        #expect(try again.read { try Int.fetchOne($0, sql: "SELECT x FROM probe") } == 42)
    }
}
