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
public enum DenyGlobMasker {
    public static let defaultLimit = 500_000

    public static func expand(_ globs: [PathGlob], under roots: [String], limit: Int = defaultLimit) throws(WardenError) -> [String] {
        guard !globs.isEmpty else { return [] }
        var found = Set<String>()
        var visited = 0
        for root in roots {
            guard let r = NormalizedPath(root) else { continue }
            let relevant = globs.filter { $0.mayMatchUnder(r) }
            if relevant.isEmpty { continue }
            try walk(r, relevant, &found, &visited, limit)
        }
        return found.sorted()
    }

    /// Walks `dir` (text form and ASCII-folded flat bytes, built incrementally so that no
    /// entry is re-parsed or re-folded).
    private static func walk(_ dir: NormalizedPath, _ globs: [PathGlob], _ found: inout Set<String>, _ visited: inout Int, _ limit: Int) throws(WardenError) {
        let folded = PathGlob.withFolded(dir) { Array($0) }
        if matchesAny(globs, folded) {
            found.insert(dir.description)
            return
        }
        try walk(dir.description, folded, globs, &found, &visited, limit)
    }

    private static func matchesAny(_ globs: [PathGlob], _ folded: [UInt8]) -> Bool {
        folded.withUnsafeBufferPointer { f in globs.contains { $0.matches(folded: f) } }
    }

    private static func walk(_ text: String, _ folded: [UInt8], _ globs: [PathGlob], _ found: inout Set<String>, _ visited: inout Int, _ limit: Int) throws(WardenError) {
        guard let handle = opendir(text) else { return }
        defer { closedir(handle) }
        var children: [(name: [UInt8], isDir: Bool)] = []
        while let entry = readdir(handle) {
            let name: [UInt8] = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: UInt8.self, capacity: 256) { p in Array(UnsafeBufferPointer(start: p, count: strlen(UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self)))) }
            }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            visited += 1
            if visited > limit {
                throw .denied("policy.mask_limit", "more than \(limit) entries under \(text) while expanding deny globs; narrow the policy's trees")
            }
            // d_type saves an lstat per entry; only filesystems that do not report it pay one.
            let type = entry.pointee.d_type
            if type == UInt8(DT_UNKNOWN) {
                var st = stat()
                guard lstat(text + "/" + String(decoding: name, as: UTF8.self), &st) == 0 else { continue }
                children.append((name, (st.st_mode & S_IFMT) == S_IFDIR))
            } else {
                children.append((name, type == UInt8(DT_DIR)))
            }
        }
        for child in children {
            var childFolded = folded
            childFolded.append(UInt8(ascii: "/"))
            childFolded.append(contentsOf: child.name.lazy.map(PathGlob.fold))
            let childText = (text == "/" ? "/" : text + "/") + String(decoding: child.name, as: UTF8.self)
            if matchesAny(globs, childFolded) {
                found.insert(childText)
            } else if child.isDir {
                try walk(childText, childFolded, globs, &found, &visited, limit)
            }
        }
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
