/// What `decide` needs to know about the filesystem the sandbox will see, supplied by the
/// caller so that `decide` itself stays pure and deterministic: the sandbox's PATH, and
/// symlink resolution. The CLI passes `LiveHostView`; tests and the benchmark pass
/// `StaticHostView`.
public protocol HostView: Sendable {
    /// The PATH directories (absolute) the sandbox resolves bare program names against.
    var searchPath: [String] { get }
    /// The canonical path of `path` with every symlink resolved, or nil when it does not
    /// exist. `path` is absolute but may contain `..`, `.` and symlinks.
    func realPath(_ path: String) -> String?
    /// True when the canonical `path` is a regular file with an execute bit.
    func isExecutableFile(_ path: String) -> Bool
}

extension HostView {
    /// Resolves `path` like the kernel would for a path that may not exist yet: the longest
    /// existing prefix is canonicalized (symlinks and `..` resolved in kernel order), the
    /// missing rest is appended lexically. nil if `path` is not absolute or invalid.
    public func resolveForAccess(_ path: String) -> NormalizedPath? {
        guard path.hasPrefix("/") else { return nil }
        if let r = realPath(path) { return NormalizedPath(r) }
        var parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var missing: [String] = []
        while !parts.isEmpty {
            missing.insert(parts.removeLast(), at: 0)
            let prefix = "/" + parts.joined(separator: "/")
            if let r = realPath(prefix) {
                // A `..` in the missing tail cannot climb out through a symlink (the
                // entry does not exist), so lexical joining is exact here.
                return NormalizedPath((r == "/" ? "" : r) + "/" + missing.joined(separator: "/"))
            }
        }
        return nil
    }
}

/// An in-memory filesystem: files, directories and symlinks. Deterministic, for tests and
/// the benchmark.
public struct StaticHostView: HostView {
    public enum Entry: Sendable, Hashable {
        case directory
        case file(executable: Bool)
        case symlink(String)
    }

    public var searchPath: [String]
    public var entries: [String: Entry] {
        didSet { canonical = Self.canonicalize(entries) }
    }
    /// Canonical path of every entry, precomputed so lookups of already-normal paths (the
    /// common case) are one hash lookup: this keeps the benchmark about `decide`, not about
    /// a simulated filesystem.
    private var canonical: [String: String] = [:]

    public init(searchPath: [String], entries: [String: Entry]) {
        self.searchPath = searchPath
        var e = entries
        e["/"] = .directory
        self.entries = e
        canonical = Self.canonicalize(e)
    }

    private static func canonicalize(_ entries: [String: Entry]) -> [String: String] {
        let slow = StaticHostView(slowOnly: entries)
        var out: [String: String] = [:]
        for key in entries.keys { out[key] = slow.walk(key) }
        return out
    }

    private init(slowOnly entries: [String: Entry]) {
        searchPath = []
        self.entries = entries
    }

    public func realPath(_ path: String) -> String? {
        if let hit = canonical[path] { return hit }
        return walk(path)
    }

    private func walk(_ path: String) -> String? {
        var pending = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var current: [String] = []
        var hops = 0
        while !pending.isEmpty {
            let part = pending.removeFirst()
            if part == "." { continue }
            if part == ".." {
                if !current.isEmpty { current.removeLast() }
                continue
            }
            let candidate = "/" + (current + [part]).joined(separator: "/")
            switch entries[candidate] {
            case nil: return nil
            case .symlink(let target)?:
                hops += 1
                if hops > 40 { return nil }
                let targetParts = target.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
                if target.hasPrefix("/") { current = [] }
                pending = targetParts + pending
            case .file?:
                guard pending.isEmpty else { return nil }
                current.append(part)
            case .directory?:
                current.append(part)
            }
        }
        return "/" + current.joined(separator: "/")
    }

    public func isExecutableFile(_ path: String) -> Bool {
        if case .file(true)? = entries[path] { return true }
        return false
    }
}
