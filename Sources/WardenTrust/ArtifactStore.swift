import Foundation
import WardenCore
import WardenHome

/// Content-addressed, read-only artifact blobs under `artifacts/sha256/<hex>`.
///
/// An artifact is hashed while it is copied (one read of the source, so the bytes stored are
/// the bytes hashed: no window to swap the file between check and copy), written to a
/// temporary file, fsynced, made 0555 (read-only; executable because the sandbox runs it in place), renamed into place, and the directory fsynced.
public struct ArtifactStore: Sendable {
    public let directory: String

    public init(home: Home) { directory = home.artifactsDirectory }

    public func path(for digest: ArtifactDigest) -> String { "\(directory)/\(digest.hex)" }

    /// Copies `source` into the store if its digest and size are `expected`; returns the blob path.
    public func add(source: String, expected: ArtifactDigest, size expectedSize: Int64) throws(WardenError) -> String {
        let final = path(for: expected)
        let src = open(source, O_RDONLY | O_CLOEXEC)
        guard src >= 0 else {
            throw .notFound("artifact.unreadable", "\(source): cannot open artifact: \(String(cString: strerror(errno)))")
        }
        defer { close(src) }
        let tmp = "\(directory)/.tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard out >= 0 else {
            throw .usage("artifact.store_failed", "\(tmp): cannot create: \(String(cString: strerror(errno)))")
        }
        var keep = false
        defer {
            close(out)
            if !keep { unlink(tmp) }
        }
        let (digest, size) = try ArtifactHasher.hash(fd: src, path: source, copyTo: out)
        guard size == expectedSize else {
            throw .denied("artifact.size_mismatch", "\(source): artifact is \(size) bytes; the manifest says \(expectedSize)")
        }
        guard digest == expected else {
            throw .denied("artifact.digest_mismatch", "\(source): artifact digest \(digest) does not match the manifest's \(expected)")
        }
        guard fchmod(out, 0o555) == 0, fsync(out) == 0 else {
            throw .usage("artifact.store_failed", "\(tmp): \(String(cString: strerror(errno)))")
        }
        guard rename(tmp, final) == 0 else {
            throw .usage("artifact.store_failed", "\(final): cannot rename into place: \(String(cString: strerror(errno)))")
        }
        keep = true
        let dir = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
        return final
    }
}
