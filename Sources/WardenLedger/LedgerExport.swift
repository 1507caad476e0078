import Foundation
import WardenCore

/// The export directory format (`warden audit export DIR`):
///
/// - `records.jsonl` — every record's canonical bytes, one per line, in seq order;
/// - `checkpoints/<size>.txt` — every signed checkpoint note;
/// - `keys/<kid>.pem` — the public keys that signed (informational: an offline verifier
///   uses only the keys it is given);
/// - `export.json` — origin, record count, export time (informational).
public enum LedgerExport {
    public static let recordsFile = "records.jsonl"
    public static let checkpointsDirectory = "checkpoints"
    public static let keysDirectory = "keys"

    /// Writes the export. `directory` must not exist or be empty. Returns the record count.
    @discardableResult
    public static func write(store: LedgerStore, origin: String, publicKeyPEMs: [String: String], to directory: String) throws(WardenError) -> Int64 {
        try prepare(directory)
        // Checkpoints first, so every checkpoint is covered by the records written after.
        let checkpoints = try store.checkpoints()
        try ensureDir(directory + "/" + checkpointsDirectory)
        for c in checkpoints {
            try writeFile(directory + "/\(checkpointsDirectory)/\(c.size).txt", Array(c.note.utf8))
        }
        try ensureDir(directory + "/" + keysDirectory)
        for (kid, pem) in publicKeyPEMs {
            try writeFile(directory + "/\(keysDirectory)/\(kid).pem", Array(pem.utf8))
        }
        let path = directory + "/" + recordsFile
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ioError(path, "create") }
        defer { close(fd) }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        var count: Int64 = 0
        var writeError: WardenError?
        try store.forEachRecord(from: 0) { r in
            buffer += r.bytes
            buffer.append(0x0A)
            count += 1
            if buffer.count >= 1 << 20 {
                if let e = flush(fd, &buffer, path) { writeError = e; return false }
            }
            return true
        }
        if let writeError { throw writeError }
        if let e = flush(fd, &buffer, path) { throw e }
        guard fsync(fd) == 0 else { throw ioError(path, "fsync") }
        let meta: JSONValue = ["format": "warden-ledger-export/1", "origin": .string(origin), "records": .int(count),
                               "checkpoints": .int(Int64(checkpoints.count)), "exported_ms": .int(Ledger.nowMillis())]
        try writeFile(directory + "/export.json", CanonicalJSON.encode(meta) + [0x0A])
        return count
    }

    /// Verifies an export with nothing but trusted public keys (and optionally a checkpoint
    /// held elsewhere, which detects rollback to an older valid prefix).
    public static func verify(directory: String, keyring: LedgerKeyring, trusted: (note: String, source: String)? = nil) throws(WardenError) -> VerificationReport {
        let cpDir = directory + "/" + checkpointsDirectory
        var notes: [(note: String, source: String)] = []
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: cpDir)) ?? []).filter { $0.hasSuffix(".txt") }.sorted()
        for name in names {
            let path = cpDir + "/" + name
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw .usage("ledger.export_unreadable", "\(path): cannot read checkpoint")
            }
            notes.append((text, path))
        }
        let path = directory + "/" + recordsFile
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .notFound("ledger.export_missing", "\(path): not found (is \(directory) a `warden audit export` directory?)")
        }
        defer { try? handle.close() }
        let verifier = LedgerVerifier(keyring: keyring, checkpoints: notes, trusted: trusted)
        var pending: [UInt8] = []
        while verifier.wantsMore {
            let chunk: Data
            do {
                guard let d = try handle.read(upToCount: 4 << 20), !d.isEmpty else { break }
                chunk = d
            } catch {
                throw .usage("ledger.export_unreadable", "\(path): read failed: \(error)")
            }
            pending += chunk
            var start = 0
            while let nl = pending[start...].firstIndex(of: 0x0A) {
                if !verifier.feed(Array(pending[start..<nl])) { break }
                start = nl + 1
            }
            pending.removeFirst(start)
        }
        if verifier.wantsMore, !pending.isEmpty { verifier.feed(pending) }
        return verifier.finish()
    }

    // MARK: file helpers

    private static func ioError(_ path: String, _ op: String) -> WardenError {
        .usage("ledger.export_io", "\(path): \(op) failed: \(String(cString: strerror(errno)))")
    }

    private static func prepare(_ directory: String) throws(WardenError) {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) {
            guard isDir.boolValue else { throw .usage("ledger.export_exists", "\(directory): exists and is not a directory") }
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            guard contents.isEmpty else { throw .usage("ledger.export_exists", "\(directory): not empty; export into a new directory") }
        } else {
            try ensureDir(directory)
        }
    }

    private static func ensureDir(_ path: String) throws(WardenError) {
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else { throw ioError(path, "mkdir") }
    }

    private static func flush(_ fd: Int32, _ buffer: inout [UInt8], _ path: String) -> WardenError? {
        var offset = 0
        while offset < buffer.count {
            let n = buffer[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return ioError(path, "write")
            }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
        return nil
    }

    static func writeFile(_ path: String, _ bytes: [UInt8]) throws(WardenError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ioError(path, "create") }
        defer { close(fd) }
        var b = bytes
        if let e = flush(fd, &b, path) { throw e }
        guard fsync(fd) == 0 else { throw ioError(path, "fsync") }
    }
}
