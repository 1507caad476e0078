/// Database shells. SQL given in argv is allowed unless it uses the client's own commands
/// that run programs or read commands elsewhere (sqlite3 `.shell`/`.system`/`.once |cmd`/
/// `edit()`, psql `\!`/`\o |cmd`/backticks, mysql `system`/`pager`); with no command in argv
/// they read commands from stdin, which counts as inline code like an interpreter's.
enum DatabaseShells {
    static func sqlite3(_ name: String, _ args: ArraySlice<String>) -> String? {
        if args.contains(where: { $0 == "-safe" || $0 == "--safe" }) { return nil }  // .shell, .system, .load ... disabled
        let values: Set<String> = ["init", "separator", "newline", "nullvalue", "vfs", "mmap", "pagecache", "lookaside", "maxsize", "heap", "escape"]
        var rest = args
        var db: String?
        var sql = 0
        while let a = rest.first {
            rest = rest.dropFirst()
            if a.hasPrefix("-"), a.count > 1 {
                let opt = a.drop(while: { $0 == "-" })
                if ["version", "help"].contains(opt) { return nil }
                if opt == "A" || opt.hasPrefix("A") { return nil }  // archive mode: the rest are archive arguments
                if opt == "cmd" {
                    if let t = rest.first, let r = sqliteText(name, t) { return r }
                    rest = rest.dropFirst()
                } else if opt == "init" {
                    if let f = rest.first, let why = StreamPath.why(f) { return "\(name) -init: \(why)" }
                    rest = rest.dropFirst()
                } else if values.contains(String(opt)) {
                    rest = rest.dropFirst()
                }
                continue
            }
            if db == nil { db = a; continue }
            if let r = sqliteText(name, a) { return r }
            sql += 1
        }
        return sql == 0 ? "\(name) with no SQL in argv reads commands from stdin, where .shell runs commands" : nil
    }

    /// Dot-commands outside a read-only set, and SQL functions that run a program or load code.
    static func sqliteText(_ name: String, _ text: String) -> String? {
        let safe: Set<Substring> = ["tables", "table", "schema", "headers", "header", "mode", "indexes", "indices", "dump", "quit", "exit",
                                    "databases", "width", "separator", "nullvalue", "timer", "bail", "echo", "changes", "eqp", "stats",
                                    "show", "help", "print", "dbinfo", "fullschema", "lint", "explain", "limits", "prompt", "timeout", "sha3sum"]
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let l = line.drop(while: { $0 == " " || $0 == "\t" })
            guard l.hasPrefix(".") else { continue }
            let word = l.dropFirst().prefix(while: { $0.isLetter || $0.isNumber || $0 == "_" })
            if !safe.contains(word) { return "\(name) .\(word.prefix(20)) can run commands or read them from elsewhere" }
        }
        for f in ["edit", "load_extension"] where calls(text, f) { return "\(name) SQL calls \(f)(), which runs a program or loads code" }
        return nil
    }

    /// `name` followed by optional blanks and `(`, case-insensitively.
    static func calls(_ text: String, _ name: String) -> Bool {
        let lower = text.lowercased()
        var search = lower[...]
        while let r = search.firstRange(of: name) {
            if lower[r.upperBound...].drop(while: { $0 == " " || $0 == "\t" || $0 == "\n" }).hasPrefix("(") { return true }
            search = lower[r.upperBound...]
        }
        return false
    }

    static func psql(_ name: String, _ args: ArraySlice<String>) -> String? {
        var rest = args
        var hasCommand = false
        while let a = rest.first {
            rest = rest.dropFirst()
            var opt = a
            var attached: Substring?
            if let (o, v) = CommandRunners.long(a) {
                opt = "--" + o
                attached = v
            } else if a.hasPrefix("-"), !a.hasPrefix("--"), a.count > 2 {
                opt = String(a.prefix(2))
                attached = a.dropFirst(2)
            }
            switch opt {
            case "-V", "--version", "-?", "--help", "-l", "--list": return nil
            case "-c", "--command":
                hasCommand = true
                if let t = CommandRunners.value(attached, &rest), let r = psqlText(name, t) { return r }
            case "-f", "--file":
                hasCommand = true
                if let f = CommandRunners.value(attached, &rest), let why = StreamPath.why(f) { return "\(name) -f: \(why)" }
            case "-o", "--output", "-L", "--log-file":
                if let f = CommandRunners.value(attached, &rest), f.hasPrefix("|") { return "\(name) \(opt) \(f.prefix(30)) pipes into a shell command" }
            case "-v", "--set", "--variable", "-P", "--pset":
                // Prompts expand `%`cmd``; meta-command arguments expand backticks.
                if let v = CommandRunners.value(attached, &rest), v.contains("`") { return "\(name) \(opt) \(v.prefix(30)) runs a shell command" }
            case "-d", "--dbname", "-h", "--host", "-p", "--port", "-U", "--username", "-T", "--table-attr", "-F", "--field-separator", "-R", "--record-separator":
                if attached == nil { rest = rest.dropFirst() }
            default: break
            }
        }
        return hasCommand ? nil : "\(name) with no -c or -f reads commands from stdin, where \\! runs a shell"
    }

    static func psqlText(_ name: String, _ text: String) -> String? {
        let refused: Set<Substring> = ["!", "e", "edit", "ef", "ev", "i", "include", "ir", "include_relative"]
        let pipes: Set<Substring> = ["o", "out", "g", "gx", "w", "write", "copy", "gexec"]
        var rest = Substring(text)
        while let slash = rest.firstIndex(of: "\\") {
            rest = rest[rest.index(after: slash)...]
            let word = rest.first == "!" ? rest.prefix(1) : rest.prefix(while: { $0.isLetter || $0 == "_" })
            if refused.contains(word) { return "\(name) \\\(word) runs a program or reads commands elsewhere" }
            if text.contains("`") { return "\(name) a meta-command argument with backticks runs a shell command" }
            if pipes.contains(word), text.contains("|") || text.lowercased().contains("program") {
                return "\(name) \\\(word) with a pipe runs a shell command"
            }
        }
        return nil
    }

    static func mysql(_ name: String, _ args: ArraySlice<String>) -> String? {
        var rest = args
        var hasCommand = false
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "-V" || a == "--version" || a == "-?" || a == "--help" { return nil }
            var text: String?
            if let (opt, attached) = CommandRunners.long(a) {
                if CommandRunners.abbreviates(opt, ["pager"]) != nil, attached != nil { return "\(name) \(a.prefix(30)) runs a pager command" }
                if CommandRunners.abbreviates(opt, ["execute"]) != nil { text = CommandRunners.value(attached, &rest) ?? "" }
                if CommandRunners.abbreviates(opt, ["defaults-file", "defaults-extra-file"]) != nil,
                   let f = CommandRunners.value(attached, &rest), let why = StreamPath.why(f) {
                    return "\(name) \(a): \(why)"
                }
            } else if a.hasPrefix("-e") {
                text = a.count > 2 ? String(a.dropFirst(2)) : CommandRunners.value(nil, &rest) ?? ""
            }
            guard let text else { continue }
            hasCommand = true
            for esc in ["\\!", "\\P", "\\e", "\\."] where text.contains(esc) { return "\(name) \(esc) runs a client command" }
            for stmt in text.lowercased().split(whereSeparator: { $0 == ";" || $0 == "\n" }) {
                let word = stmt.drop(while: { $0 == " " || $0 == "\t" }).prefix(while: { $0.isLetter })
                if ["system", "pager", "edit", "source"].contains(word) { return "\(name) `\(word)` runs a client command" }
            }
        }
        return hasCommand ? nil : "\(name) with no -e reads commands from stdin, where `system` runs a shell"
    }
}
