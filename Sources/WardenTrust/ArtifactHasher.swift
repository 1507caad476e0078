import Crypto
import Foundation
import WardenCore

/// Streaming SHA-256 of files: fixed 1 MiB buffer, never the whole file in memory. swift-crypto
/// uses BoringSSL's SHA-NI code path where the CPU has it.
public enum ArtifactHasher {
    public static let bufferSize = 1 << 20

    /// Digest and size of the file at `path`.
    public static func hash(path: String) throws(WardenError) -> (digest: ArtifactDigest, size: Int64) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw .notFound("artifact.unreadable", "\(path): cannot open artifact: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        return try hash(fd: fd, path: path, copyTo: nil)
    }

    /// Hashes everything readable from `fd`, optionally copying each chunk to `copyTo`.
    static func hash(fd: Int32, path: String, copyTo: Int32?) throws(WardenError) -> (digest: ArtifactDigest, size: Int64) {
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw .usage("artifact.not_file", "\(path): artifact must be a regular file")
        }
        var hasher = SHA256()
        var size: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, bufferSize)
            if n < 0 {
                if errno == EINTR { continue }
                throw .usage("artifact.read_failed", "\(path): read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            hasher.update(bufferPointer: chunk)
            if let out = copyTo {
                var offset = 0
                while offset < n {
                    let w = write(out, chunk.baseAddress! + offset, n - offset)
                    if w < 0 {
                        if errno == EINTR { continue }
                        throw .usage("artifact.store_failed", "writing the artifact store: \(String(cString: strerror(errno)))")
                    }
                    offset += w
                }
            }
            size += Int64(n)
        }
        return (ArtifactDigest(bytes: Array(hasher.finalize()))!, size)
    }
}
