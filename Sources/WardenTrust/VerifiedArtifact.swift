import CWardenSys
import Foundation
import WardenCore

/// An armory artifact's bytes for one run, verified: a memfd holding exactly the bytes that
/// hashed to the manifest's digest, sealed against writes, growth and shrinking
/// (`F_SEAL_WRITE|GROW|SHRINK|SEAL`), so the kernel guarantees they stay the verified bytes.
/// The sandbox copies it into its private root (`SandboxSpec.Mount.sealedFile`): no per-run
/// file on the host, nothing for another process to swap between verification and exec.
public struct VerifiedArtifact: Sendable {
    /// The sealed memfd (close-on-exec); owned by this value until `close()`.
    public let fd: Int32
    public let size: Int

    /// Releases the descriptor (the sandbox has its own copy of the bytes once started).
    public func close() { _ = Glibc.close(fd) }

    /// Hashes `src` (the blob at `path`) while copying it into a new memfd, and returns the memfd
    /// sealed only if the bytes hash to `digest`: one read is both the check and the copy.
    static func seal(from src: Int32, path: String, expecting digest: ArtifactDigest) throws(WardenError) -> VerifiedArtifact {
        let memfd = wsys_sealable_memfd("warden-artifact")
        guard memfd >= 0 else { throw .usage("artifact.verify_failed", "memfd_create: \(String(cString: strerror(-memfd)))") }
        var keep = false
        defer { if !keep { _ = Glibc.close(memfd) } }
        let (actual, size) = try ArtifactHasher.hash(fd: src, path: path, copyTo: memfd)
        guard actual == digest else {
            throw .denied("artifact.tampered", "stored artifact \(path) now hashes to \(actual), not \(digest)")
        }
        let sealed = wsys_seal_immutable(memfd)
        guard sealed == 0 else { throw .usage("artifact.verify_failed", "cannot seal the verified copy: \(String(cString: strerror(-sealed)))") }
        keep = true
        return VerifiedArtifact(fd: memfd, size: Int(size))
    }
}

extension ArtifactStore {
    /// The blob for `digest`, hashed now and returned as a sealed verified copy
    /// (`artifact.tampered` when it no longer hashes to `digest`).
    public func verifiedCopy(_ digest: ArtifactDigest) throws(WardenError) -> VerifiedArtifact {
        let src = try openBlob(digest)
        defer { _ = Glibc.close(src) }
        return try VerifiedArtifact.seal(from: src, path: path(for: digest), expecting: digest)
    }

    /// The stored blob for `digest`, opened for reading (never through a symlink).
    func openBlob(_ digest: ArtifactDigest) throws(WardenError) -> Int32 {
        let src = open(path(for: digest), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard src >= 0 else { throw .denied("artifact.missing", "stored artifact \(digest) is missing or unreadable") }
        return src
    }
}
