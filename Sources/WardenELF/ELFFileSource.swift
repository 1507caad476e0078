#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A regular file read with `pread`, so nothing is mapped and only what the parser asks for
/// is read. A class because the path variant owns its descriptor and closes it on deinit.
public final class ELFFileSource: ELFByteSource, Sendable {
    /// The file's size when the source was made (a file that shrinks later reads as truncated).
    public let size: Int
    private let fd: Int32
    private let ownsDescriptor: Bool

    /// Reads through `fd`, which stays the caller's: it is neither closed nor repositioned.
    public init(fd: Int32) throws(ELFError) {
        let size = try Self.regularFileSize(fd, name: "descriptor \(fd)")
        self.fd = fd
        self.size = size
        self.ownsDescriptor = false
    }

    /// Opens `path` read-only. O_NONBLOCK so a FIFO planted at the path cannot block the open;
    /// anything but a regular file is then refused.
    public init(path: String) throws(ELFError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { throw ELFError(code: "elf.io", message: "cannot open \(path): \(Self.lastError())") }
        let size: Int
        do {
            size = try Self.regularFileSize(fd, name: path)
        } catch {
            close(fd)
            throw error
        }
        self.fd = fd
        self.size = size
        self.ownsDescriptor = true
    }

    deinit {
        if ownsDescriptor { close(fd) }
    }

    public func read(at offset: Int, count: Int) throws(ELFError) -> [UInt8] {
        try Self.validate(offset: offset, count: count, size: size)
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = buffer.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return pread(fd, base + done, count - done, off_t(offset + done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw ELFError(code: "elf.io", message: "read at \(offset + done) failed: \(Self.lastError())")
            }
            // The file shrank since fstat: the bytes the headers promised are not there.
            guard n > 0 else { throw .truncated("file ended at \(offset + done) while reading \(count) bytes at \(offset)") }
            done += n
        }
        return buffer
    }

    private static func regularFileSize(_ fd: Int32, name: String) throws(ELFError) -> Int {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ELFError(code: "elf.io", message: "cannot stat \(name): \(lastError())") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw ELFError(code: "elf.io", message: "\(name) is not a regular file") }
        guard let size = Int(exactly: st.st_size), size >= 0 else { throw .tooLarge("\(name) has an impossible size") }
        return size
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}
