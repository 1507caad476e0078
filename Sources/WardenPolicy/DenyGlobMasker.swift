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

    private static func walk(_ dir: NormalizedPath, _ globs: [PathGlob], _ found: inout Set<String>, _ visited: inout Int, _ limit: Int) throws(WardenError) {
        if globs.contains(where: { $0.matches(dir) }) {
            found.insert(dir.description)
            return
        }
        guard let handle = opendir(dir.description) else { return }
        defer { closedir(handle) }
        var children: [(String, Bool)] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            visited += 1
            if visited > limit {
                throw .denied("policy.mask_limit", "more than \(limit) entries under \(dir) while expanding deny globs; narrow the policy's trees")
            }
            let path = dir.description == "/" ? "/" + name : dir.description + "/" + name
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }
            children.append((path, (st.st_mode & S_IFMT) == S_IFDIR))
        }
        for (path, isDir) in children {
            guard let n = NormalizedPath(path) else { continue }
            if isDir {
                try walk(n, globs, &found, &visited, limit)
            } else if globs.contains(where: { $0.matches(n) }) {
                found.insert(path)
            }
        }
    }
}

extension PathGlob {
    /// False when no path under `root` can match (the glob's literal prefix diverges).
    func mayMatchUnder(_ root: NormalizedPath) -> Bool {
        let folded = root.foldedSegments
        for (i, seg) in segments.enumerated() {
            if seg == Array("**".utf8) { return true }
            guard i < folded.count else { return true }
            if seg.contains(UInt8(ascii: "*")) || seg.contains(UInt8(ascii: "?")) { continue }
            if seg != folded[i] { return false }
        }
        return true
    }
}
