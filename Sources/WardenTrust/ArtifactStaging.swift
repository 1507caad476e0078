import Foundation
import WardenCore

/// A verified copy of an armory artifact for one run, in a directory the sandbox's
/// unprivileged setup user can traverse (the home is 0700 and stays so).
public struct StagedArtifact: Sendable {
    public let directory: String
    public let path: String

    /// Deletes the staged copy.
    public func remove() {
        unlink(path)
        rmdir(directory)
    }
}

extension ArtifactStore {
    /// Copies the blob for `digest` into a new 0711 directory under `parent` while hashing it,
    /// and returns the copy (0555) only if it hashes to `digest`. One read serves as both the
    /// run-time integrity check and the copy, so the bytes that run are the bytes verified.
    public func stage(_ digest: ArtifactDigest, name: String, under parent: String) throws(WardenError) -> StagedArtifact {
        let src = try openBlob(digest)
        defer { close(src) }
        return try StagingTarget.fill(parent: parent, name: name) { (dst) throws(WardenError) in
            let (actual, _) = try ArtifactHasher.hash(fd: src, path: self.path(for: digest), copyTo: dst)
            guard actual == digest else {
                throw .denied("artifact.tampered", "stored artifact \(self.path(for: digest)) now hashes to \(actual), not \(digest)")
            }
        }
    }

    /// The stored blob for `digest`, opened for reading (never through a symlink).
    func openBlob(_ digest: ArtifactDigest) throws(WardenError) -> Int32 {
        let src = open(path(for: digest), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard src >= 0 else { throw .denied("artifact.missing", "stored artifact \(digest) is missing or unreadable") }
        return src
    }
}

/// A per-run staging directory (0711, under `parent`) holding one file (0555 once filled).
enum StagingTarget {
    /// Creates the directory and the file, lets `write` fill the file, and returns it; on any
    /// failure nothing is left behind.
    static func fill(parent: String, name: String, _ write: (Int32) throws(WardenError) -> Void) throws(WardenError) -> StagedArtifact {
        var fs = statvfs()
        if statvfs(parent, &fs) == 0, fs.f_flag & 8 != 0 {  // ST_NOEXEC (not exported by Glibc to Swift)
            throw .denied("artifact.staging_noexec", "\(parent) is mounted noexec; set WARDEN_STAGING_DIR to a directory on an exec-capable filesystem")
        }
        var template = Array("\(parent)/warden-run-XXXXXX".utf8CString)
        guard let dirPtr = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw .usage("artifact.staging_failed", "\(parent): cannot create a staging directory: \(String(cString: strerror(errno)))")
        }
        let directory = String(cString: dirPtr)
        let path = directory + "/" + name
        var keep = false
        defer { if !keep { unlink(path); rmdir(directory) } }
        guard chmod(directory, 0o711) == 0 else {
            throw .usage("artifact.staging_failed", "\(directory): \(String(cString: strerror(errno)))")
        }
        let dst = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard dst >= 0 else {
            throw .usage("artifact.staging_failed", "\(path): cannot create: \(String(cString: strerror(errno)))")
        }
        defer { close(dst) }
        try write(dst)
        guard fchmod(dst, 0o555) == 0 else {
            throw .usage("artifact.staging_failed", "\(path): \(String(cString: strerror(errno)))")
        }
        keep = true
        return StagedArtifact(directory: directory, path: path)
    }
}
