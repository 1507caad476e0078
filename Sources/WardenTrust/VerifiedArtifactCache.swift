import CWardenSys
import Foundation
import WardenCore

/// Verified artifact bytes kept by a long-lived process (`warden serve`), so that a run does
/// not hash its artifact again when it provably cannot have changed.
///
/// On a miss the stored blob is hashed while it is copied into a memfd, which is then sealed
/// against writes, growth and shrinking (`F_SEAL_WRITE|GROW|SHRINK|SEAL`): from then on the
/// kernel guarantees its bytes are the bytes that hashed to the digest. Each run gets a
/// descriptor of that memfd, so what runs is always the verified bytes, exactly as with
/// `ArtifactStore.verifiedCopy` (which hashes on every run).
///
/// Tampering with the stored blob is still *detected*: a hit also requires the blob's device,
/// inode, size, mtime and ctime to be exactly what they were when it was hashed, and a blob
/// changed within 2 s before it was hashed is never trusted (timestamps have coarse ticks:
/// git's "racily clean" rule). Any write to the blob changes its ctime, which only the system
/// clock can forge; the next run then hashes it again and refuses it (`artifact.tampered`).
public final class VerifiedArtifactCache: @unchecked Sendable {
    struct Identity: Equatable {
        var dev: UInt64, ino: UInt64, size: Int64
        var mtime: timespec, ctime: timespec

        init(_ st: stat) {
            dev = UInt64(st.st_dev)
            ino = UInt64(st.st_ino)
            size = Int64(st.st_size)
            mtime = st.st_mtim
            ctime = st.st_ctim
        }

        static func == (a: Identity, b: Identity) -> Bool {
            a.dev == b.dev && a.ino == b.ino && a.size == b.size && a.mtime.tv_sec == b.mtime.tv_sec
                && a.mtime.tv_nsec == b.mtime.tv_nsec && a.ctime.tv_sec == b.ctime.tv_sec && a.ctime.tv_nsec == b.ctime.tv_nsec
        }
    }

    private struct Entry {
        let memfd: Int32
        let source: Identity
        var lastUse: UInt64
    }

    /// Seconds a blob must have been unchanged before its hash is trusted for later runs.
    let racyMarginSeconds: Int
    private let capacityBytes: Int64
    private let lock = NSLock()
    private var entries: [ArtifactDigest: Entry] = [:]
    private var bytes: Int64 = 0
    private var clock: UInt64 = 0
    /// Blobs hashed so far (tests: a hit must not hash).
    private(set) var hashes = 0

    /// `capacityBytes`: verified bytes kept in memory at most (least recently used go first).
    public convenience init(capacityBytes: Int64 = 512 << 20) {
        self.init(capacityBytes: capacityBytes, racyMarginSeconds: 2)
    }

    init(capacityBytes: Int64, racyMarginSeconds: Int) {
        self.capacityBytes = capacityBytes
        self.racyMarginSeconds = racyMarginSeconds
    }

    deinit { for e in entries.values { close(e.memfd) } }

    /// `ArtifactStore.verifiedCopy`, without re-hashing a blob that provably has not changed.
    /// The caller owns (and closes) the returned descriptor.
    public func verifiedCopy(_ store: ArtifactStore, _ digest: ArtifactDigest) throws(WardenError) -> VerifiedArtifact {
        let src = try store.openBlob(digest)
        defer { close(src) }
        var st = stat()
        guard fstat(src, &st) == 0 else { throw Self.failure("artifact.missing", "stored artifact \(digest) cannot be inspected") }
        let before = Identity(st)
        lock.lock()
        if var e = entries[digest], e.source == before {
            clock += 1
            e.lastUse = clock
            entries[digest] = e
            // Close-on-exec from the start: other threads of a server spawn concurrently.
            let fd = fcntl(e.memfd, F_DUPFD_CLOEXEC, 0)
            lock.unlock()
            guard fd >= 0 else { throw Self.failure("artifact.verify_failed", "cannot duplicate the verified copy") }
            return VerifiedArtifact(fd: fd, size: Int(before.size))
        }
        lock.unlock()

        lock.lock()
        hashes += 1
        lock.unlock()
        let artifact = try VerifiedArtifact.seal(from: src, path: store.path(for: digest), expecting: digest)

        // Cache only what provably still is the blob that was hashed.
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var after = stat()
        let unchanged = fstat(src, &after) == 0 && Identity(after) == before && Int64(artifact.size) == before.size
        let settled = Int(now.tv_sec) - Int(before.ctime.tv_sec) > racyMarginSeconds
            && Int(now.tv_sec) - Int(before.mtime.tv_sec) > racyMarginSeconds
        if unchanged && settled && before.size <= capacityBytes {
            let fd = fcntl(artifact.fd, F_DUPFD_CLOEXEC, 0)
            if fd >= 0 { insert(digest, Entry(memfd: fd, source: before, lastUse: 0)) }
        }
        return artifact
    }

    private func insert(_ digest: ArtifactDigest, _ entry: Entry) {
        lock.lock()
        defer { lock.unlock() }
        if let old = entries.removeValue(forKey: digest) {
            close(old.memfd)
            bytes -= old.source.size
        }
        while bytes + entry.source.size > capacityBytes, let (victim, e) = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            entries.removeValue(forKey: victim)
            close(e.memfd)
            bytes -= e.source.size
        }
        clock += 1
        var e = entry
        e.lastUse = clock
        entries[digest] = e
        bytes += e.source.size
    }

    /// The seals on the cached copy of `digest` (tests), or nil when it is not cached.
    func seals(of digest: ArtifactDigest) -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        return entries[digest].map { wsys_get_seals($0.memfd) }
    }

    var cachedBytes: Int64 {
        lock.lock()
        defer { lock.unlock() }
        return bytes
    }

    static func failure(_ code: String, _ what: String) -> WardenError {
        .usage(code, "\(what): \(String(cString: strerror(errno)))")
    }
}
