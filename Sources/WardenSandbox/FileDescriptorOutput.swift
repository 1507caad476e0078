#if canImport(Glibc)
import Glibc
#endif

/// Streams sandbox output to two file descriptors (e.g. Warden's own 1 and 2).
public final class FileDescriptorOutput: SandboxOutput {
    let out: Int32
    let err: Int32

    public init(stdout: Int32 = 1, stderr: Int32 = 2) {
        self.out = stdout
        self.err = stderr
    }

    public func write(stream: SandboxStream, bytes: UnsafeRawBufferPointer) {
        let fd = stream == .stdout ? out : err
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }   // reader gone: drop, never block the sandbox on it
            offset += n
        }
    }
}
