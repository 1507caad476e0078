/// Command-running switches of common build and file tools (tar, find, make, man, sort,
/// wget, cargo, C compilers). Where the switch only picks a well-known helper program
/// (`tar -I zstd`, `man -P cat`), that plain choice is allowed; anything else is refused.
enum ToolSwitches {
    static let compressors: Set<String> = ["gzip", "gunzip", "pigz", "bzip2", "bunzip2", "pbzip2", "lbzip2", "xz", "unxz", "pixz",
                                           "zstd", "unzstd", "pzstd", "zstdmt", "lz4", "lzip", "plzip", "lzma", "unlzma", "lzop",
                                           "compress", "uncompress", "brotli"]
    static let pagers: Set<String> = ["cat", "less", "more", "most", "pager"]

    static func tar(_ name: String, _ args: ArraySlice<String>) -> String? {
        let takesValue: Set<Character> = ["f", "C", "T", "X", "b", "g", "K", "L", "N", "V", "H", "I", "F"]
        var rest = args
        var first = true
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "--" { return nil }
            defer { first = false }
            if let (opt, attached) = CommandRunners.long(a) {
                if let full = CommandRunners.abbreviates(opt, ["to-command", "info-script", "new-volume-script", "rsh-command", "rmt-command"]) {
                    return "\(name) --\(full) runs a command"
                }
                if CommandRunners.abbreviates(opt, ["use-compress-program"]) != nil {
                    let v = CommandRunners.value(attached, &rest) ?? ""
                    if !CommandRunners.plainProgram(v, compressors) { return "\(name) \(a) \(v.prefix(30)) runs a command that is not a known compressor" }
                } else if CommandRunners.abbreviates(opt, ["checkpoint-action"]) != nil {
                    if let v = CommandRunners.value(attached, &rest), v.hasPrefix("exec") { return "\(name) --checkpoint-action=\(v.prefix(30)) runs a command" }
                }
                continue
            }
            // Old-style first argument (`tar xIf zstd a.tar`): letters take the next
            // arguments in order. Dash clusters: the first value letter takes the rest.
            let oldStyle = first && !a.hasPrefix("-")
            guard oldStyle || (a.hasPrefix("-") && a.count > 1) else { continue }
            var letters = oldStyle ? Substring(a) : a.dropFirst()
            var consumed = 0
            while let ch = letters.first {
                letters = letters.dropFirst()
                guard takesValue.contains(ch) else { continue }
                let v: String?
                if oldStyle {
                    v = rest.dropFirst(consumed).first
                    consumed += 1
                } else {
                    v = letters.isEmpty ? rest.first : String(letters)
                }
                if ch == "F" { return "\(name) -F runs an info script" }
                if ch == "I", !CommandRunners.plainProgram(v ?? "", compressors) {
                    return "\(name) -I \((v ?? "").prefix(30)) runs a command that is not a known compressor"
                }
                if !oldStyle {
                    if letters.isEmpty { rest = rest.dropFirst() }
                    break
                }
            }
            if oldStyle { rest = rest.dropFirst(consumed) }
        }
        return nil
    }

    static func find(_ name: String, _ args: ArraySlice<String>) -> String? {
        for a in args where a == "-exec" || a == "-execdir" || a == "-ok" || a == "-okdir" {
            return "\(name) \(a) runs a command"
        }
        return nil
    }

    /// `sort --compress-program=PROG`: only a known compressor.
    static func plainValue(_ name: String, _ args: ArraySlice<String>, long: String, allowed: Set<String>) -> String? {
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "--" { return nil }
            guard let (opt, attached) = CommandRunners.long(a), CommandRunners.abbreviates(opt, [long]) != nil else { continue }
            let v = CommandRunners.value(attached, &rest) ?? ""
            if !CommandRunners.plainProgram(v, allowed) { return "\(name) --\(long) \(v.prefix(30)) runs a command" }
        }
        return nil
    }

    static func man(_ name: String, _ args: ArraySlice<String>) -> String? {
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "--" { return nil }
            var pager: String?
            if let (opt, attached) = CommandRunners.long(a) {
                if CommandRunners.abbreviates(opt, ["pager"]) != nil { pager = CommandRunners.value(attached, &rest) ?? "" }
                if CommandRunners.abbreviates(opt, ["html"]) != nil, attached != nil { return "\(name) \(a) runs a browser command" }
                if CommandRunners.abbreviates(opt, ["config-file"]) != nil, let v = CommandRunners.value(attached, &rest), let why = StreamPath.why(v) {
                    return "\(name) \(a): \(why)"
                }
            } else if a.hasPrefix("-P") {
                pager = a.count > 2 ? String(a.dropFirst(2)) : CommandRunners.value(nil, &rest) ?? ""
            } else if a.hasPrefix("-H"), a.count > 2 {
                return "\(name) \(a) runs a browser command"
            } else if a.hasPrefix("-C") {
                let v = a.count > 2 ? String(a.dropFirst(2)) : CommandRunners.value(nil, &rest) ?? ""
                if let why = StreamPath.why(v) { return "\(name) -C: \(why)" }
            }
            if let pager, !CommandRunners.plainProgram(pager, pagers) { return "\(name) pager \(pager.prefix(30)) is a command" }
        }
        return nil
    }

    /// make runs the Makefile's recipes (file-based, like a script). Refused: `--eval`/`-E`,
    /// a makefile that is a stream, and command-line variables that inject into recipes:
    /// `!=` (a shell assignment), values with `$` or shell metacharacters, and the variables
    /// that choose the shell, its flags, extra makefiles or make's own flags.
    static func make(_ name: String, _ args: ArraySlice<String>) -> String? {
        let special: Set<Substring> = ["SHELL", ".SHELLFLAGS", "MAKESHELL", "MAKEFLAGS", "MFLAGS", "GNUMAKEFLAGS", "MAKEFILES", "MAKEOVERRIDES"]
        let meta: Set<Character> = ["$", ";", "|", "&", "`", "<", ">", "(", ")", "\n", "\r"]
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "--" { continue }
            if let (opt, attached) = CommandRunners.long(a) {
                if CommandRunners.abbreviates(opt, ["eval"]) != nil { return "\(name) \(a) evaluates inline makefile text" }
                if CommandRunners.abbreviates(opt, ["file", "makefile"]) != nil {
                    if let v = CommandRunners.value(attached, &rest), let why = StreamPath.why(v) { return "\(name) \(a): \(why)" }
                } else if attached == nil, ["directory", "include-dir", "old-file", "assume-old", "what-if", "new-file", "assume-new"].contains(String(opt)) {
                    rest = rest.dropFirst()
                }
                continue
            }
            if a.hasPrefix("-"), a.count > 1 {
                var letters = a.dropFirst()
                while let ch = letters.first {
                    letters = letters.dropFirst()
                    if ch == "E" { return "\(name) -E evaluates inline makefile text" }
                    guard "fCIoW".contains(ch) else { continue }
                    let v = letters.isEmpty ? rest.first : String(letters)
                    if letters.isEmpty { rest = rest.dropFirst() }
                    if ch == "f", let v, let why = StreamPath.why(v) { return "\(name) -f: \(why)" }
                    break
                }
                continue
            }
            guard let eq = a.firstIndex(of: "=") else { continue }
            var variable = a[..<eq]
            if variable.hasSuffix("!") { return "\(name) \(variable)= runs a shell command" }
            while let last = variable.last, last == ":" || last == "+" || last == "?" || last == " " { variable = variable.dropLast() }
            if special.contains(variable) { return "\(name) \(variable)= changes how recipes run" }
            if a[a.index(after: eq)...].contains(where: { meta.contains($0) }) {
                return "\(name) \(a.prefix(40)): a command-line variable with shell or make syntax injects into recipes"
            }
        }
        return nil
    }

    static func wget(_ name: String, _ args: ArraySlice<String>) -> String? {
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "--" { return nil }
            if let (opt, attached) = CommandRunners.long(a) {
                if CommandRunners.abbreviates(opt, ["use-askpass"]) != nil { return "\(name) \(a) runs a command" }
                if CommandRunners.abbreviates(opt, ["execute"]) != nil, let v = CommandRunners.value(attached, &rest), v.lowercased().contains("askpass") {
                    return "\(name) -e \(v.prefix(30)) runs a command"
                }
                if CommandRunners.abbreviates(opt, ["config"]) != nil, let v = CommandRunners.value(attached, &rest), let why = StreamPath.why(v) {
                    return "\(name) \(a): \(why)"
                }
            } else if a.hasPrefix("-e") {
                let v = a.count > 2 ? String(a.dropFirst(2)) : rest.first ?? ""
                if v.lowercased().contains("askpass") { return "\(name) -e \(v.prefix(30)) runs a command" }
            }
        }
        return nil
    }

    /// `cargo --config KEY=VALUE` is inline configuration, and many keys name programs
    /// (`target.*.runner`, `build.rustc-wrapper`, `alias.*`...): only a few plain keys pass.
    static func cargo(_ name: String, _ args: ArraySlice<String>) -> String? {
        let safe: Set<String> = ["net.offline", "build.jobs", "http.timeout", "net.retry", "build.incremental", "net.git-fetch-with-cli"]
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "--" { return nil }
            guard a == "--config" || a.hasPrefix("--config=") else { continue }
            guard let v = CommandRunners.value(a == "--config" ? nil : a.dropFirst("--config=".count), &rest) else { return nil }
            guard let eq = v.firstIndex(of: "=") else {
                if let why = StreamPath.why(v) { return "\(name) --config: \(why)" }
                continue
            }
            let key = String(v[..<eq]).filter { $0 != " " && $0 != "\t" }
            if !(key.hasPrefix("term.") || safe.contains(key)) { return "\(name) --config \(key)=…: inline configuration can name programs to run" }
        }
        return nil
    }

    /// C compilers: `-wrapper` runs every subprocess under a command; `@file`, `-specs=`
    /// and `-fplugin=` read options, spec programs or code from a file, checked as streams.
    static func compiler(_ name: String, _ args: ArraySlice<String>) -> String? {
        for a in args {
            if a == "-wrapper" || a.hasPrefix("-wrapper=") { return "\(name) -wrapper runs a command" }
            var file: Substring?
            if a.hasPrefix("@") { file = a.dropFirst() }
            for p in ["-specs=", "--specs=", "-fplugin="] where a.hasPrefix(p) { file = a.dropFirst(p.count) }
            if let file, let why = StreamPath.why(String(file)) { return "\(name) \(a): \(why)" }
        }
        return nil
    }
}
