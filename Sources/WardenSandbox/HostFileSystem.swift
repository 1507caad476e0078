#if canImport(Glibc)
import Glibc
#endif
import CWardenSys

/// What the planner needs to know about a host path; injected so planning stays pure and testable.
public enum HostFileKind: Sendable, Equatable {
    case missing
    case directory
    case file(executable: Bool)
    case symlink(target: String)
    case other
}

/// Read-only questions about the host filesystem.
public protocol HostFileSystem: Sendable {
    func kind(of path: String) -> HostFileKind
    /// Up to `limit` bytes from the start of a regular file.
    func head(of path: String, limit: Int) -> [UInt8]?
    /// Owner of a path (for idmapped mounts).
    func owner(of path: String) -> (uid: UInt32, gid: UInt32)?
    /// Size and first `headLimit` bytes of `fd` when it is a regular file sealed against
    /// writes, growth, shrinking and further sealing (its bytes cannot change any more); nil otherwise.
    func sealedFile(_ fd: Int32, headLimit: Int) -> SealedFileFacts?
    /// The host's mount table (/proc/self/mountinfo), for keeping kernel filesystems out of
    /// binds (`KernelMounts`); nil when it cannot be read (`KernelMountGuard` then refuses).
    func mountTable() -> [KernelMounts.Entry]?
    /// `path` with every symlink resolved, or nil when it cannot be resolved.
    func resolved(_ path: String) -> String?
    /// Users' home directories (uid, path as listed), from /etc/passwd.
    func userHomes() -> [(uid: UInt32, path: String)]
    /// True for an empty directory of mode 0500: a placeholder an earlier run left (`Placeholders`).
    func placeholderShaped(_ path: String) -> Bool
    /// Whether this process may create entries in `dir` (write and search permission, a
    /// writable filesystem). Rootless, the tool has exactly the caller's access.
    func canCreateEntries(in dir: String) -> Bool
}

extension HostFileSystem {
    public func userHomes() -> [(uid: UInt32, path: String)] {
        guard let bytes = head(of: "/etc/passwd", limit: 1 << 22) else { return [] }
        return SystemTrees.homes(passwd: String(decoding: bytes, as: UTF8.self))
    }

    public func placeholderShaped(_ path: String) -> Bool { Placeholders.isPlaceholder(path) }

    public func canCreateEntries(in dir: String) -> Bool {
        faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == 0
    }
}

/// What the planner knows about an immutably sealed descriptor.
public struct SealedFileFacts: Sendable, Equatable {
    public let size: Int
    public let head: [UInt8]
}

extension HostFileSystem {
    /// Descriptors are process state, not host paths: every implementation asks the kernel.
    /// The seals required are the ones a verified artifact carries (`wsys_seal_immutable`).
    public func sealedFile(_ fd: Int32, headLimit: Int) -> SealedFileFacts? {
        var st = stat()
        guard fd >= 0, fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG,
              wsys_seals_immutable(wsys_get_seals(fd)) == 1 else { return nil }
        let limit = min(headLimit, Int(st.st_size))
        var buf = [UInt8](repeating: 0, count: limit)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, limit, 0) }
        guard n == limit else { return nil }
        return SealedFileFacts(size: Int(st.st_size), head: buf)
    }
}

/// The real host filesystem (lstat / readlink / read).
public struct RealHostFileSystem: HostFileSystem {
    public init() {}

    public func mountTable() -> [KernelMounts.Entry]? {
        let fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var text: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { return nil }
            if n == 0 { break }
            text += buf[0..<n]
        }
        // Every line must parse: a line skipped here could be a kernel filesystem not hidden.
        let entries = KernelMounts.parse(mountinfo: text)
        let lines = text.split(separator: 0x0A).count
        return entries.count == lines ? entries : nil
    }

    public func resolved(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    public func kind(of path: String) -> HostFileKind {
        var st = stat()
        guard lstat(path, &st) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .file(executable: st.st_mode & 0o111 != 0)
        case S_IFLNK:
            var buf = [CChar](repeating: 0, count: 4097)
            let n = readlink(path, &buf, 4096)
            guard n > 0 else { return .other }
            return .symlink(target: String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        default: return .other
        }
    }

    public func head(of path: String, limit: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: limit)
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, limit) }
        guard n >= 0 else { return nil }
        return Array(buf[0..<n])
    }

    public func owner(of path: String) -> (uid: UInt32, gid: UInt32)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (st.st_uid, st.st_gid)
    }
}
