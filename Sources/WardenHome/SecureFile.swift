import Foundation
import WardenCore

/// File writes and reads for secrets and content-addressed blobs: no symlink following,
/// exclusive creation, explicit modes, fsync before anyone can rely on the file.
public enum SecureFile {
    /// Creates `path` (which must not exist) with `mode`, writes `contents`, fsyncs.
    public static func writeNew(path: String, contents: [UInt8], mode: mode_t) throws(WardenError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw .usage("file.create_failed", "\(path): cannot create: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        try writeAll(fd: fd, contents, path: path)
        guard fchmod(fd, mode) == 0, fsync(fd) == 0 else {
            throw .usage("file.write_failed", "\(path): \(String(cString: strerror(errno)))")
        }
    }

    static func writeAll(fd: Int32, _ bytes: [UInt8], path: String) throws(WardenError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .usage("file.write_failed", "\(path): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    /// Reads a private key file; refuses symlinks and files readable by group or others.
    public static func readPrivate(path: String) throws(WardenError) -> String {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            throw .usage("file.unreadable", "\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw .usage("file.unreadable", "\(path): not a regular file")
        }
        guard st.st_mode & 0o077 == 0 else {
            throw .usage("key.insecure_mode", "\(path): private key is accessible by group or others (mode \(String(st.st_mode & 0o777, radix: 8))); run chmod 0600")
        }
        return String(decoding: try readAll(fd: fd, path: path, limit: 1 << 16), as: UTF8.self)
    }

    /// Reads a whole (small) file given on the command line, with a size limit.
    public static func readSmall(path: String, limit: Int = 1 << 20) throws(WardenError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw .usage("file.unreadable", "\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        return try readAll(fd: fd, path: path, limit: limit)
    }

    static func readAll(fd: Int32, path: String, limit: Int) throws(WardenError) -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .usage("file.unreadable", "\(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { return out }
            out.append(contentsOf: buffer[0..<n])
            if out.count > limit {
                throw .usage("file.too_large", "\(path): larger than \(limit) bytes")
            }
        }
    }
}
