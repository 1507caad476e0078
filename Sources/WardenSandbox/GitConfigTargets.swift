/// The paths a repository's `.git/config` tells git to run or read, for keeping them read-only
/// when they lie inside a writable tree: `.git` itself is bound read-only, but
/// `core.hooksPath = .githooks` moves the hooks into the work tree, `core.fsmonitor` and
/// command-valued keys (`alias.x = !./x.sh`, `filter.*.smudge`, `core.pager`, ...) name
/// programs, and `include.path` pulls in more configuration. A tool that could rewrite any of
/// them would run code on the host at the user's next `git` command. Pure: parses the text
/// of git's INI-like format (sections, `key = value`, quotes, `#`/`;` comments, `\` line
/// continuations), never runs git.
public enum GitConfigTargets {
    /// One path a configuration value names.
    public struct Target: Equatable, Sendable {
        /// As written (unquoted), relative paths resolve against `base`.
        public let path: String
        public let base: Base
        /// Whether an absent target is masked so it cannot be created (hooks directories,
        /// the fsmonitor program and included files); other values are protected only when
        /// they exist, since a command's first word is not always a path.
        public let maskWhenAbsent: Bool
    }

    public enum Base: Equatable, Sendable {
        /// The work tree's top (where git runs hooks and commands).
        case workTree
        /// The directory holding the configuration file (`include.path`).
        case configDirectory
    }

    /// Keys whose value is a path or a program git runs.
    static let pathKeys: Set<String> = ["core.hookspath", "core.fsmonitor", "include.path", "core.worktree",
                                        "core.excludesfile", "core.attributesfile"]

    /// Parses configuration text; unknown syntax is skipped (git would reject the file, so it
    /// cannot take effect either).
    public static func targets(config text: String) -> [Target] {
        var out: [Target] = []
        var section = ""
        for raw in logicalLines(text) {
            let line = raw.trimmingSpaces
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                section = sectionName(line)
                continue
            }
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = section + "." + line[..<eq].trimmingSpaces.lowercased()
            let value = unquote(String(line[line.index(after: eq)...]).trimmingSpaces)
            if value.isEmpty { continue }
            let isInclude = key == "include.path" || (key.hasPrefix("includeif.") && key.hasSuffix(".path"))
            if isInclude {
                guard looksLikeFileName(value) else { continue }
                out.append(Target(path: value, base: .configDirectory, maskWhenAbsent: true))
                continue
            }
            if pathKeys.contains(key) {
                // hooksPath and the other path keys name a file or directory even without a
                // `/`; fsmonitor is a boolean or a program, a path only with a `/`.
                let isPath = key == "core.fsmonitor" ? looksLikePath(value) : looksLikeFileName(value)
                if isPath {
                    let strong = key == "core.hookspath" || key == "core.fsmonitor"
                    out.append(Target(path: value, base: .workTree, maskWhenAbsent: strong))
                }
                continue
            }
            // A command: `!` marks a shell alias; its first word is the program.
            var command = value
            if command.hasPrefix("!") { command.removeFirst() }
            if let word = command.trimmingSpaces.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init),
               looksLikePath(word) {
                out.append(Target(path: word, base: .workTree, maskWhenAbsent: false))
            }
        }
        return out
    }

    /// A file name (with or without `/`), not a URL, a `~` or `$` path, or a boolean.
    static func looksLikeFileName(_ s: String) -> Bool {
        guard !s.contains("://"), !s.hasPrefix("~"), !s.contains("$"),
              !["true", "false", "yes", "no", "on", "off", "0", "1"].contains(s.lowercased()) else { return false }
        return true
    }

    /// A relative or absolute file name, not a URL, a `~` path, or a bare program name.
    static func looksLikePath(_ s: String) -> Bool {
        guard s.contains("/"), !s.contains("://"), !s.hasPrefix("~"), !s.contains("$") else { return false }
        if let colon = s.firstIndex(of: ":"), let slash = s.firstIndex(of: "/"), colon < slash { return false }
        return true
    }

    /// `[core]` → "core"; `[remote "origin"]` → "remote.origin"; `[includeIf "gitdir:x"]` keeps
    /// its subsection verbatim. Section names are case-insensitive, subsections are not.
    static func sectionName(_ line: String) -> String {
        guard let close = line.lastIndex(of: "]") else { return "" }
        let inner = line[line.index(after: line.startIndex)..<close].trimmingSpaces
        if let quote = inner.firstIndex(of: "\"") {
            let name = inner[..<quote].trimmingSpaces.lowercased()
            let sub = inner[inner.index(after: quote)...].split(separator: "\"", omittingEmptySubsequences: false).first ?? ""
            return name.lowercased() == "includeif" ? "includeif." + sub : name + "." + sub
        }
        return inner.lowercased()
    }

    /// Joins `\`-continued lines and drops comments outside quotes.
    static func logicalLines(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var l = String(line)
            if l.hasSuffix("\r") { l.removeLast() }
            if l.hasSuffix("\\") {
                current += l.dropLast()
                continue
            }
            out.append(stripComment(current + l))
            current = ""
        }
        if !current.isEmpty { out.append(stripComment(current)) }
        return out
    }

    static func stripComment(_ line: String) -> String {
        var quoted = false
        var escaped = false
        for (i, c) in zip(line.indices, line) {
            if escaped { escaped = false; continue }
            if c == "\\" { escaped = true; continue }
            if c == "\"" { quoted.toggle(); continue }
            if !quoted && (c == "#" || c == ";") && line.hasPrefix("[") == false { return String(line[..<i]) }
        }
        return line
    }

    static func unquote(_ s: String) -> String {
        var out = ""
        var escaped = false
        for c in s {
            if escaped {
                switch c {
                case "n": out.append("\n")
                case "t": out.append("\t")
                default: out.append(c)
                }
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c != "\"" {
                out.append(c)
            }
        }
        return out
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
