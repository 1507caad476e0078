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
        // Shorten from the end, byte-wise: the prefix before each `/` is tried in turn.
        let u = path.utf8
        var cut = u.endIndex
        while let slash = u[..<cut].lastIndex(of: UInt8(ascii: "/")) {
            let prefix = slash == u.startIndex ? "/" : String(decoding: u[..<slash], as: UTF8.self)
            if let r = realPath(prefix) {
                // A `..` in the missing tail cannot climb out through a symlink (the
                // entry does not exist), so lexical joining is exact here.
                return NormalizedPath((r == "/" ? "" : r) + String(decoding: u[slash...], as: UTF8.self))
            }
            if slash == u.startIndex { break }
            cut = slash
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
        // Resolve the parent, then look the last component up in it: the same steps the
        // full walk takes, without re-splitting the path (misses are the common case).
        let u = path.utf8
        guard let slash = u.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        let last = u[u.index(after: slash)...]
        let dot = UInt8(ascii: ".")
        guard !last.isEmpty, !last.elementsEqual(CollectionOfOne(dot)), !last.elementsEqual([dot, dot]) else { return walk(path) }
        let parent = slash == u.startIndex ? "/" : String(decoding: u[..<slash], as: UTF8.self)
        guard let dir = realPath(parent), case .directory? = entries[dir] else { return nil }
        let candidate = (dir == "/" ? "" : dir) + "/" + String(decoding: last, as: UTF8.self)
        switch entries[candidate] {
        case nil: return nil
        case .symlink?: return walk(path)
        case .file?, .directory?: return candidate
        }
    }

    private func walk(_ path: String) -> String? {
        // Byte-wise split (not Character-wise): components are small strings, stored inline.
        var pending = path.utf8.split(separator: UInt8(ascii: "/")).reversed().map { String(decoding: $0, as: UTF8.self) }
        // prefixes[k] is the canonical path of the first k+1 components walked so far.
        var prefixes: [String] = []
        var hops = 0
        while let part = pending.popLast() {
            if part == "." { continue }
            if part == ".." {
                if !prefixes.isEmpty { prefixes.removeLast() }
                continue
            }
            let candidate = (prefixes.last ?? "") + "/" + part
            switch entries[candidate] {
            case nil: return nil
            case .symlink(let target)?:
                hops += 1
                if hops > 40 { return nil }
                if target.hasPrefix("/") { prefixes = [] }
                pending.append(contentsOf: target.utf8.split(separator: UInt8(ascii: "/")).reversed().map { String(decoding: $0, as: UTF8.self) })
            case .file?:
                guard pending.isEmpty else { return nil }
                prefixes.append(candidate)
            case .directory?:
                prefixes.append(candidate)
            }
        }
        return prefixes.last ?? "/"
    }

    public func isExecutableFile(_ path: String) -> Bool {
        if case .file(true)? = entries[path] { return true }
        return false
    }
}
