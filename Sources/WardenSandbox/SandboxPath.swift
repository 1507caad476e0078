import WardenCore

/// Absolute-path hygiene for everything that names a place inside or outside the sandbox.
enum SandboxPath {
    /// Normalizes an absolute path: collapses `//` and `.`, rejects `..`, NUL and relative paths.
    static func normalize(_ path: String, field: String) throws(WardenError) -> String {
        guard path.hasPrefix("/") else {
            throw .usage("sandbox.path_relative", "\(field): '\(path)' must be an absolute path")
        }
        guard !path.utf8.contains(0) else {
            throw .usage("sandbox.path_nul", "\(field): path contains a NUL byte")
        }
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                throw .usage("sandbox.path_dotdot", "\(field): '\(path)' must not contain '..'")
            }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Ancestors of a normalized path, outermost first, excluding "/" and the path itself.
    static func ancestors(_ path: String) -> [String] {
        let parts = path.split(separator: "/")
        var out: [String] = []
        var current = ""
        for part in parts.dropLast() {
            current += "/" + part
            out.append(current)
        }
        return out
    }

    /// The directory holding a normalized absolute path ("/" for "/" and top-level entries).
    static func parent(_ path: String) -> String { ancestors(path).last ?? "/" }

    /// True when `path` equals `prefix` or lies beneath it.
    static func isWithin(_ path: String, _ prefix: String) -> Bool {
        prefix == "/" || path == prefix || path.hasPrefix(prefix + "/")
    }
}
