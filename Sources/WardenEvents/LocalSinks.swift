import Foundation
import WardenCore

/// Writes one event per line to a file descriptor, with one write(2) per event so lines from
/// concurrent emitters never interleave.
func writeLine(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
    var line = bytes
    line.append(0x0A)
    var offset = 0
    while offset < line.count {
        let n = line[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            return errno
        }
        offset += n
    }
    return nil
}

/// JSONL on standard output.
public final class StdoutSink: EventSink, @unchecked Sendable {
    public let name = "stdout"
    private let fd: Int32
    private let onFailure: DeliveryFailureHandler
    private let lock = NSLock()

    public init(fd: Int32 = 1, onFailure: @escaping DeliveryFailureHandler) {
        self.fd = fd
        self.onFailure = onFailure
    }

    public func submit(_ event: CloudEvent) {
        lock.lock()
        let err = writeLine(fd, event.encoded)
        lock.unlock()
        if let err {
            onFailure(DeliveryFailure(sink: name, eventID: event.id, eventType: event.type, attempts: 1, reason: String(cString: strerror(err))))
        }
    }

    public func close(timeoutSeconds: Double) {}
}

/// JSONL appended to a file (created 0600). When the file would exceed `rotateBytes`, it is
/// fsynced and renamed to `<path>.1` (older ones shift up to `<path>.<keep>`), and a new
/// file is started: rotated files are complete and durable.
public final class FileSink: EventSink, @unchecked Sendable {
    public let path: String
    public let rotateBytes: Int64
    public let keep: Int
    public var name: String { "file:\(path)" }
    private let onFailure: DeliveryFailureHandler
    private let lock = NSLock()
    private var fd: Int32 = -1
    private var size: Int64 = 0

    public init(path: String, rotateBytes: Int64 = 10 << 20, keep: Int = 5, onFailure: @escaping DeliveryFailureHandler) throws(WardenError) {
        self.path = path
        self.rotateBytes = rotateBytes
        self.keep = max(1, keep)
        self.onFailure = onFailure
        try openFile()
    }

    private func openFile() throws(WardenError) {
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw .usage("events.file_sink", "\(path): cannot open event file: \(String(cString: strerror(errno)))")
        }
        var st = stat()
        size = fstat(fd, &st) == 0 ? Int64(st.st_size) : 0
    }

    private func rotate() throws(WardenError) {
        guard fsync(fd) == 0 else { throw .usage("events.file_sink", "\(path): fsync failed: \(String(cString: strerror(errno)))") }
        Glibc.close(fd)
        fd = -1
        for i in stride(from: keep - 1, through: 1, by: -1) {
            _ = rename("\(path).\(i)", "\(path).\(i + 1)")
        }
        guard rename(path, "\(path).1") == 0 else {
            throw .usage("events.file_sink", "\(path): rotate failed: \(String(cString: strerror(errno)))")
        }
        try openFile()
    }

    public func submit(_ event: CloudEvent) {
        let bytes = event.encoded
        lock.lock()
        var failure: String?
        do throws(WardenError) {
            if fd < 0 { try openFile() }
            if size > 0 && size + Int64(bytes.count + 1) > rotateBytes { try rotate() }
            if let err = writeLine(fd, bytes) {
                failure = "\(path): write failed: \(String(cString: strerror(err)))"
            } else {
                size += Int64(bytes.count + 1)
            }
        } catch {
            failure = error.message
        }
        lock.unlock()
        if let failure {
            onFailure(DeliveryFailure(sink: name, eventID: event.id, eventType: event.type, attempts: 1, reason: failure))
        }
    }

    public func close(timeoutSeconds: Double) {
        lock.lock()
        if fd >= 0 {
            fsync(fd)
            Glibc.close(fd)
            fd = -1
        }
        lock.unlock()
    }
}
