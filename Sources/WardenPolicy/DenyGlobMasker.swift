import Crypto
import Foundation
import WardenCore

/// Expands deny globs into the concrete paths the sandbox must mask at start (bind an
/// empty, unreadable node over each). Effectful (reads directories), so it is separate from
/// `decide`; call it with `Confinement.denyGlobs` and the confinement's trees.
///
/// The walk does not follow symlinks (a symlink whose own path matches is masked itself; one
/// that points elsewhere is resolved by the kernel, and its target is checked where it
/// lives). A matching directory is masked whole and not descended. The walk is bounded: past
/// `limit` entries it fails closed rather than start a sandbox with unmasked secrets.
///
/// With a `cacheDirectory`, each directory's listing is kept between runs (`DenyGlobIndex`)
/// and reused while the directory is provably unchanged, so a run re-reads only what
/// changed: one lstat per directory instead of reading every directory of `/usr`.
public enum DenyGlobMasker {
    public static let defaultLimit = 500_000

    public static func expand(_ globs: [PathGlob], under roots: [String], limit: Int = defaultLimit,
                              cacheDirectory: String? = nil) throws(WardenError) -> [String] {
        try expandCounting(globs, under: roots, limit: limit, cacheDirectory: cacheDirectory, now: Int64(time(nil))).paths
    }

    /// `expand`, also returning how many directories were read afresh (tests, benchmark).
    static func expandCounting(_ globs: [PathGlob], under roots: [String], limit: Int = defaultLimit, cacheDirectory: String?,
                               now: Int64) throws(WardenError) -> (paths: [String], relisted: Int) {
        guard !globs.isEmpty else { return ([], 0) }
        let workers = max(1, min(4, ProcessInfo.processInfo.activeProcessorCount))
        var ctx = Walk(globs: [], limit: limit, now: now)
        // A tree inside another tree is covered by the outer walk (the globs relevant under
        // it are a subset of those relevant under the outer tree): walk each place once.
        let normalized = roots.compactMap { NormalizedPath($0) }
        let outermost = normalized.enumerated().filter { (i, r) in
            !normalized.enumerated().contains { (j, o) in j != i && r.isWithin(o) && (r != o || j < i) }
        }.map(\.element)
        for r in outermost {
            ctx.globs = globs.filter { $0.mayMatchUnder(r) }
            if ctx.globs.isEmpty { continue }
            if ctx.globs.contains(where: { $0.matches(r) }) {
                ctx.found.insert(r.description)
                continue
            }
            let cacheFile = cacheDirectory.map { $0 + "/" + cacheName(root: r, globs: ctx.globs) }
            let cached = cacheFile.flatMap(loadIndex)
            let before = ctx.relisted
            ctx.path = r.isRoot ? [] : r.bytes
            let index = try ctx.walkRoot(cached, workers: workers)
            if let cacheFile, let index, ctx.relisted != before || cached == nil {
                storeIndex(index, at: cacheFile)
            }
        }
        return (ctx.found.sorted(), ctx.relisted)
    }

    /// One cache file per tree and glob set: `deny-<sha256 prefix>.idx`.
    static func cacheName(root: NormalizedPath, globs: [PathGlob]) -> String {
        var h = SHA256()
        h.update(data: root.bytes)
        for g in globs {
            h.update(data: [0])
            h.update(data: Array(g.pattern.utf8))
        }
        return "deny-" + Hex.encode(Array(h.finalize().prefix(16))) + ".idx"
    }

    private static func loadIndex(_ path: String) -> DenyGlobIndex? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return DenyGlobIndex.decode(Array(data))
    }

    /// Best effort: a cache that cannot be written only costs the next run a full walk.
    private static func storeIndex(_ index: DenyGlobIndex, at path: String) {
        let dir = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try? Data(index.encoded()).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// One expansion's state.
    struct Walk {
        var globs: [PathGlob]
        let limit: Int
        let now: Int64
        var found = Set<String>()
        var visited = 0
        /// Directories read afresh (not reused from the cache).
        var relisted = 0
        /// The directory being walked, as bytes (`/a/b`; empty for `/`): one buffer, a
        /// component pushed and popped per step, so a reused listing costs no allocation.
        var path: [UInt8] = []

        var text: String { path.isEmpty ? "/" : String(decoding: path, as: UTF8.self) }

        mutating func count(_ n: Int) throws(WardenError) {
            visited += n
            if visited > limit {
                throw .denied("policy.mask_limit", "more than \(limit) entries under \(text) while expanding deny globs; narrow the policy's trees")
            }
        }

        /// `path` with `/name` appended while `body` runs.
        mutating func inChild<R>(_ name: [UInt8], _ body: (inout Walk) throws(WardenError) -> R) throws(WardenError) -> R {
            let n = path.count
            path.append(UInt8(ascii: "/"))
            path.append(contentsOf: name)
            defer { path.removeSubrange(n...) }
            return try body(&self)
        }

        /// True when the current path matches a glob (ASCII-folded first).
        func currentMatches() -> Bool {
            let folded = path.map(PathGlob.fold)
            return folded.withUnsafeBufferPointer { f in globs.contains { $0.matches(folded: f) } }
        }

        mutating func stat(follow: Bool) -> DenyGlobIndex.DirStamp? {
            var st = Glibc.stat()
            // NUL-terminate in place rather than copy the path for every directory.
            if path.isEmpty { path.append(UInt8(ascii: "/")) }
            path.append(0)
            let rc = path.withUnsafeBufferPointer { p in
                p.withMemoryRebound(to: CChar.self) { fstatat(AT_FDCWD, $0.baseAddress!, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) }
            }
            path.removeLast()
            if path == [UInt8(ascii: "/")] { path.removeAll() }
            guard rc == 0, (st.st_mode & S_IFMT) == S_IFDIR else { return nil }
            return DenyGlobIndex.DirStamp(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino),
                                          ctimeSec: Int64(st.st_ctim.tv_sec), ctimeNsec: Int64(st.st_ctim.tv_nsec),
                                          mtimeSec: Int64(st.st_mtim.tv_sec), mtimeNsec: Int64(st.st_mtim.tv_nsec))
        }

        /// One directory's own step, before its subdirectories: its stamp and entry count,
        /// its matching children (added to `found`), and the subdirectories to descend, each
        /// with its previous listing. `reused` is the cached listing when still valid.
        struct Level {
            let stamp: DenyGlobIndex.DirStamp
            let entryCount: UInt32
            let matches: [[UInt8]]
            let subdirs: [(name: [UInt8], previous: DenyGlobIndex?)]
            let reused: DenyGlobIndex?

            /// The directory's listing, given its subdirectories' walked listings (in order).
            func assemble(_ nodes: [DenyGlobIndex?], now: Int64) -> DenyGlobIndex {
                if let reused {
                    for (i, n) in nodes.enumerated() where n !== reused.subdirs[i].node { reused.subdirs[i].node = n }
                    return reused
                }
                return DenyGlobIndex(stamp: stamp, listedAt: now, entryCount: entryCount, matches: matches,
                                     subdirs: zip(subdirs, nodes).map { ($0.name, $1) })
            }
        }

        /// The step for the directory at `path`; nil when it is no longer a directory.
        /// Symlinks are not followed, except a tree's own root.
        mutating func level(_ cached: DenyGlobIndex?, isRoot: Bool) throws(WardenError) -> Level? {
            guard let stamp = stat(follow: isRoot) else { return nil }
            if let cached, cached.isValid(for: stamp) {
                try count(Int(cached.entryCount))
                for m in cached.matches { try inChild(m) { w throws(WardenError) in _ = w.found.insert(w.text) } }
                return Level(stamp: stamp, entryCount: cached.entryCount, matches: cached.matches,
                             subdirs: cached.subdirs.map { ($0.name, $0.node) }, reused: cached)
            }
            relisted += 1
            let children = try list()
            var matches: [[UInt8]] = [], subdirs: [(name: [UInt8], previous: DenyGlobIndex?)] = []
            var previous: [[UInt8]: DenyGlobIndex] = [:]
            for s in cached?.subdirs ?? [] { if let n = s.node { previous[s.name] = n } }
            for c in children {
                try inChild(c.name) { w throws(WardenError) in
                    if w.currentMatches() {
                        w.found.insert(w.text)
                        matches.append(c.name)
                    } else if c.isDir {
                        subdirs.append((c.name, previous[c.name]))
                    }
                }
            }
            return Level(stamp: stamp, entryCount: UInt32(children.count), matches: matches, subdirs: subdirs, reused: nil)
        }

        /// Walks the directory at `path`; returns its listing, reusing `cached` where still
        /// valid. nil when `path` is no longer a directory.
        mutating func walk(_ cached: DenyGlobIndex?, isRoot: Bool = false) throws(WardenError) -> DenyGlobIndex? {
            guard let l = try level(cached, isRoot: isRoot) else { return nil }
            var nodes: [DenyGlobIndex?] = []
            nodes.reserveCapacity(l.subdirs.count)
            for s in l.subdirs { nodes.append(try inChild(s.name) { w throws(WardenError) in try w.walk(s.previous) }) }
            return l.assemble(nodes, now: now)
        }

        /// `walk` for a tree's root, its subdirectories shared out to `workers` threads
        /// (each with its own state, merged afterwards): the walk is syscall-bound.
        mutating func walkRoot(_ cached: DenyGlobIndex?, workers: Int) throws(WardenError) -> DenyGlobIndex? {
            guard let l = try level(cached, isRoot: true) else { return nil }
            let parts = ParallelParts(count: workers)
            let base = self
            DispatchQueue.concurrentPerform(iterations: workers) { k in
                var w = Walk(globs: base.globs, limit: base.limit, now: base.now, path: base.path)
                var mine: [(Int, DenyGlobIndex?)] = []
                do throws(WardenError) {
                    for i in stride(from: k, to: l.subdirs.count, by: workers) {
                        let s = l.subdirs[i]
                        mine.append((i, try w.inChild(s.name) { w throws(WardenError) in try w.walk(s.previous) }))
                    }
                    parts.set(k, .success((w.found, w.visited, w.relisted, mine)))
                } catch {
                    parts.set(k, .failure(error))
                }
            }
            var nodes = [DenyGlobIndex?](repeating: nil, count: l.subdirs.count)
            for result in parts.results {
                // Every worker reports; a missing part would be an unwalked subtree: fail closed.
                guard let result else { throw .denied("policy.mask_internal", "a deny-glob walk worker did not report; refusing to start unmasked") }
                let (found, visited, relisted, mine) = try result.get()
                self.found.formUnion(found)
                self.relisted += relisted
                try count(visited)
                for (i, n) in mine { nodes[i] = n }
            }
            return l.assemble(nodes, now: now)
        }

        private mutating func list() throws(WardenError) -> [(name: [UInt8], isDir: Bool)] {
            let dirText = text
            guard let handle = opendir(dirText) else { return [] }
            defer { closedir(handle) }
            var children: [(name: [UInt8], isDir: Bool)] = []
            while let entry = readdir(handle) {
                let name: [UInt8] = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
                if name == [0x2E] || name == [0x2E, 0x2E] { continue }
                try count(1)
                // d_type saves an lstat per entry; only filesystems that do not report it pay one.
                let type = entry.pointee.d_type
                if type == UInt8(DT_UNKNOWN) {
                    var st = Glibc.stat()
                    guard lstat((dirText == "/" ? "/" : dirText + "/") + String(decoding: name, as: UTF8.self), &st) == 0 else { continue }
                    children.append((name, (st.st_mode & S_IFMT) == S_IFDIR))
                } else {
                    children.append((name, type == UInt8(DT_DIR)))
                }
            }
            return children
        }
    }
}

/// Per-worker results of a parallel walk, written once each under a lock.
final class ParallelParts: @unchecked Sendable {
    typealias Part = Result<(Set<String>, Int, Int, [(Int, DenyGlobIndex?)]), WardenError>
    private let lock = NSLock()
    private var parts: [Part?]

    init(count: Int) { parts = Array(repeating: nil, count: count) }

    func set(_ k: Int, _ part: Part) {
        lock.lock()
        parts[k] = part
        lock.unlock()
    }

    var results: [Part?] {
        lock.lock()
        defer { lock.unlock() }
        return parts
    }
}

extension PathGlob {
    /// False when no path under `root` can match (the glob's literal prefix diverges).
    func mayMatchUnder(_ root: NormalizedPath) -> Bool {
        let folded = root.segments.map { $0.map(PathGlob.fold) }
        for (i, seg) in segments.enumerated() {
            if seg == Array("**".utf8) { return true }
            guard i < folded.count else { return true }
            if seg.contains(UInt8(ascii: "*")) || seg.contains(UInt8(ascii: "?")) { continue }
            if seg != folded[i] { return false }
        }
        return true
    }
}
