#if canImport(Glibc)
import Glibc
#endif
import WardenCore

/// The host side of masking an absent protected entry (`Placeholder`). The kernel mounts only
/// over something that exists, so for the run's duration an empty directory of mode 0500 stands
/// where the entry would be; the sandbox sees an empty, read-only, mode-0000 mount there and
/// can neither create the entry nor remove the mask. Each run holds a shared `flock` on every
/// placeholder it uses; the last run to let go (an exclusive lock succeeds) removes it, so a
/// placeholder never disappears under a run that still needs it (removing a mount point on
/// the host would detach the mask in the sandbox). One left by a killed run is recognized
/// (empty, mode 0500) and reused, then removed, by the next run in that tree.
public final class PlaceholderLease {
    private var held: [(path: String, fd: Int32)] = []

    private init() {}

    /// Creates (or joins) every placeholder, holding each until `release`.
    public static func acquire(_ placeholders: [Placeholder]) throws(WardenError) -> PlaceholderLease {
        let lease = PlaceholderLease()
        do throws(WardenError) {
            for p in placeholders { try lease.hold(p) }
        } catch {
            lease.release()
            throw error
        }
        return lease
    }

    private func hold(_ p: Placeholder) throws(WardenError) {
        for _ in 0..<8 {
            let made = mkdir(p.path, 0o500) == 0
            if !made && errno != EEXIST {
                throw .denied("sandbox.placeholder", "cannot create '\(p.path)' to mask an absent protected entry (so that the tool cannot create it): \(errnoText())")
            }
            if made {
                _ = chmod(p.path, 0o500)
                if geteuid() == 0 { _ = lchown(p.path, p.uid, p.gid) }
            }
            let fd = open(p.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if fd < 0 {
                if errno == ENOENT { continue }   // removed by a run letting go: make it again
                throw .denied("sandbox.placeholder", "cannot open '\(p.path)' to mask an absent protected entry: \(errnoText())")
            }
            while flock(fd, LOCK_SH) != 0 && errno == EINTR {}
            // A run that let go may have removed it between our open and our lock.
            var a = stat(), b = stat()
            if fstat(fd, &a) == 0, lstat(p.path, &b) == 0, a.st_dev == b.st_dev, a.st_ino == b.st_ino {
                held.append((p.path, fd))
                return
            }
            close(fd)
        }
        throw .denied("sandbox.placeholder", "'\(p.path)' keeps changing while Warden masks it; refusing to run")
    }

    /// Removes each placeholder no other run holds any more, and lets go of all of them.
    public func release() {
        for (path, fd) in held {
            var a = stat(), b = stat()
            if flock(fd, LOCK_EX | LOCK_NB) == 0, fstat(fd, &a) == 0, lstat(path, &b) == 0,
               a.st_dev == b.st_dev, a.st_ino == b.st_ino, Placeholders.isPlaceholder(path) {
                _ = rmdir(path)
            }
            close(fd)
        }
        held = []
    }

    deinit { release() }

    private func errnoText() -> String { String(cString: strerror(errno)) }
}

public enum Placeholders {
    /// An empty directory of mode 0500, not a symlink.
    public static func isPlaceholder(_ path: String) -> Bool {
        var st = stat()
        guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR, st.st_mode & 0o7777 == 0o500 else { return false }
        guard let dir = opendir(path) else { return false }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { return false }
        }
        return true
    }
}
