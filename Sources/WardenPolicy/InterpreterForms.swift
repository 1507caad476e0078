/// The inline forms of each interpreter family: code flags, a missing script (stdin), and a
/// script or program-file option whose file is a caller stream (`StreamPath`).
extension InlineCode {
    static func script(_ name: String, _ s: String) -> String? {
        StreamPath.why(s).map { "\(name) script \($0)" }
    }

    static func shell(_ name: String, _ args: ArraySlice<String>) -> String? {
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "-" || a == "--" { return "\(name) \(a) reads commands from stdin" }
            if a.hasPrefix("--") {
                if a.hasPrefix("--command") || a.hasPrefix("--init-command") { return "\(name) \(a) runs an inline command string" }
                if a == "--rcfile" || a == "--init-file" {
                    if let f = rest.first, let why = StreamPath.why(f) { return "\(name) \(a): \(why)" }
                    rest = rest.dropFirst()
                } else if a.hasPrefix("--rcfile=") || a.hasPrefix("--init-file="), let why = StreamPath.why(String(a.drop(while: { $0 != "=" }).dropFirst())) {
                    return "\(name) \(a): \(why)"
                }
                continue
            }
            if a.hasPrefix("-") || a.hasPrefix("+") {
                let flags = a.dropFirst()
                if flags.contains("c") || (name == "fish" && flags.contains("C")) { return "\(name) \(a) runs an inline command string" }
                if flags.contains("s") { return "\(name) \(a) reads commands from stdin" }
                if flags.contains("i") { return "\(name) \(a) starts an interactive shell" }
                if flags.contains("o") || flags.contains("O") { rest = rest.dropFirst() }
                continue
            }
            return script(name, a)
        }
        return "\(name) with no script operand reads commands from stdin"
    }

    static func python(_ name: String, _ args: ArraySlice<String>) -> String? {
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "-" { return "\(name) - reads its program from stdin" }
            if a == "--" {
                guard let s = rest.first else { return "\(name) with no script reads its program from stdin" }
                return script(name, s)
            }
            if a.hasPrefix("--") {
                if a == "--check-hash-based-pycs" { rest = rest.dropFirst() }
                continue
            }
            if a.hasPrefix("-") {
                var letters = a.dropFirst()
                while let ch = letters.first {
                    letters = letters.dropFirst()
                    if ch == "c" { return "\(name) \(a) runs inline code" }
                    if ch == "i" { return "\(name) \(a) reads commands from stdin after the script" }
                    if ch == "m" {
                        let module = letters.isEmpty ? rest.first ?? "" : String(letters)
                        if letters.isEmpty { rest = rest.dropFirst() }
                        return pythonModule(name, module, rest)
                    }
                    if ch == "W" || ch == "X" {
                        if letters.isEmpty { rest = rest.dropFirst() }
                        break
                    }
                }
                continue
            }
            return script(name, a)
        }
        return "\(name) with no script reads its program from stdin"
    }

    /// Modules that are REPLs or debuggers reading stdin, or that run code from their
    /// arguments (`timeit`), are inline code; modules that run a script are checked for a
    /// stream script. Other modules are programs like any other.
    static let replModules: Set<String> = ["code", "pdb", "idlelib", "asyncio", "timeit", "IPython", "ipykernel", "ptpython", "bpython",
                                           "jupyter", "jupyter_console", "qtconsole", "xonsh", "ipdb", "pudb", "debugpy", "trepan3k"]
    static let scriptModules: Set<String> = ["cProfile", "profile", "trace", "coverage", "pyinstrument", "runpy", "memray", "scalene", "viztracer"]

    static func pythonModule(_ name: String, _ module: String, _ rest: ArraySlice<String>) -> String? {
        let top = String(module.prefix(while: { $0 != "." }))
        if replModules.contains(top) { return "\(name) -m \(module) runs code from its arguments or stdin" }
        if scriptModules.contains(top), let s = rest.first(where: { StreamPath.why($0) != nil }) {
            return "\(name) -m \(module): \(StreamPath.why(s) ?? "")"
        }
        return nil
    }

    /// Interpreters with getopt-style clusters (`perl -lne`, `ruby -e`).
    static func clustered(_ name: String, _ fam: Family, _ args: ArraySlice<String>, inline: String, takesRest: String, stdin: Bool) -> String? {
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "-" { return "\(name) - reads its program from stdin" }
            if a == "--" {
                if let s = rest.first { return script(name, s) }
                break
            }
            if a.hasPrefix("--") {
                if a.hasPrefix("--file="), let why = StreamPath.why(String(a.dropFirst(7))) { return "\(name) \(a): \(why)" }
                continue
            }
            if a.hasPrefix("-") {
                var letters = a.dropFirst()
                while let ch = letters.first {
                    letters = letters.dropFirst()
                    if inline.contains(ch) { return "\(name) \(a) runs inline code" }
                    guard takesRest.contains(ch) else { continue }
                    if let r = clusterValue(name, fam, ch, String(letters), &rest) { return r }
                    break
                }
                continue
            }
            return script(name, a)
        }
        if rest.first != nil { return nil }
        return stdin ? "\(name) with no script reads its program from stdin" : nil
    }

    /// The value of a cluster letter that takes the rest of the argument (or, for some,
    /// the next argument): perl modules and debugger, ruby libraries, include paths.
    private static func clusterValue(_ name: String, _ fam: Family, _ ch: Character, _ attached: String, _ rest: inout ArraySlice<String>) -> String? {
        switch (fam, ch) {
        case (.perl, "M"), (.perl, "m"):
            // `-M'POSIX;system q(id)'` becomes `use POSIX;system q(id);`: only a plain module.
            return plainPerlModule(attached) ? nil : "\(name) -\(ch)\(attached.prefix(30)) is code, not a module name"
        case (.perl, "d"):
            if attached.isEmpty || attached == "t" { return "\(name) -d starts the debugger, which reads commands from stdin" }
            let module = attached.drop(while: { $0 == "t" }).dropFirst()
            return plainPerlModule(String(module)) ? nil : "\(name) -d\(attached.prefix(30)) is code, not a module name"
        case (.perl, "I"), (.ruby, "I"), (.lua, "l"):
            if attached.isEmpty { rest = rest.dropFirst() }
            return nil
        case (.ruby, "r"):
            let v = attached.isEmpty ? rest.first ?? "" : attached
            if attached.isEmpty { rest = rest.dropFirst() }
            return StreamPath.why(v).map { "\(name) -r: \($0)" }
        default: return nil
        }
    }

    static func plainPerlModule(_ s: String) -> Bool {
        let parts = s.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard var mod = parts.first else { return false }
        if mod.hasPrefix("-") { mod = mod.dropFirst() }
        guard let f = mod.first, f.isASCII, f.isLetter || f == "_" else { return false }
        guard mod.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }) else { return false }
        return parts.count == 1 || parts[1].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_,:.-".contains($0)) })
    }

    static func node(_ name: String, _ args: ArraySlice<String>) -> String? {
        let fileOptions: Set<String> = ["--require", "--import", "--loader", "--experimental-loader", "--env-file", "--env-file-if-exists"]
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "-" { return "\(name) - reads its program from stdin" }
            if a == "--" {
                guard let s = rest.first else { return "\(name) with no script starts a REPL" }
                return script(name, s)
            }
            if a == "--eval" || a == "--print" || a.hasPrefix("--eval=") || a.hasPrefix("--print=") || a == "-i" || a == "--interactive" {
                return "\(name) \(a) runs inline code"
            }
            if a.hasPrefix("--") {
                let opt = String(a.prefix(while: { $0 != "=" }))
                let attached: String? = opt.count < a.count ? String(a.dropFirst(opt.count + 1)) : nil
                if fileOptions.contains(opt) {
                    let v = attached ?? rest.first ?? ""
                    if attached == nil { rest = rest.dropFirst() }
                    if let why = StreamPath.why(v) { return "\(name) \(opt): \(why)" }
                } else if attached == nil, opt == "--input-type" || opt == "--conditions" || opt == "--title" {
                    rest = rest.dropFirst()
                }
                continue
            }
            if a.hasPrefix("-") {
                if a.contains("e") || a.contains("p") || a.contains("i") { return "\(name) \(a) runs inline code" }
                if a == "-r" || a == "-C" {
                    if a == "-r", let v = rest.first, let why = StreamPath.why(v) { return "\(name) -r: \(why)" }
                    rest = rest.dropFirst()
                }
                continue
            }
            if a == "inspect" { return "\(name) inspect reads debugger commands from stdin" }
            return script(name, a)
        }
        return "\(name) with no script starts a REPL"
    }

    static func denoBun(_ name: String, _ args: ArraySlice<String>) -> String? {
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "eval" || a == "-e" || a == "--eval" || a == "-p" || a == "--print" || a == "repl" { return "\(name) \(a) runs inline code" }
            if a == "--preload" || a == "-r" || a == "--import-map" {
                if let v = rest.first, let why = StreamPath.why(v) { return "\(name) \(a): \(why)" }
                rest = rest.dropFirst()
                continue
            }
            if a == "run" || a == "test" || (a.hasPrefix("-") && a != "-") {
                if let v = a.split(separator: "=", maxSplits: 1).dropFirst().first, let why = StreamPath.why(String(v)) { return "\(name) \(a): \(why)" }
                continue
            }
            return script(name, a)
        }
        return args.isEmpty ? "\(name) with no arguments starts a REPL" : nil
    }

    static func pwsh(_ name: String, _ args: ArraySlice<String>) -> String? {
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            let l = a.lowercased()
            if l.hasPrefix("-c") || l.hasPrefix("-e") || l.hasPrefix("/c") || l == "-" { return "\(name) \(a) runs inline code" }
            if l == "-f" || l == "-file" {
                guard let v = rest.first else { return nil }
                return StreamPath.why(v).map { "\(name) \(a): \($0)" }
            }
            if !a.hasPrefix("-") { return script(name, a) }
        }
        return "\(name) with no script reads commands from stdin"
    }

    /// PHP ini keys that load code or name a command (`-d auto_prepend_file=...`).
    static let codeIniKeys: Set<String> = ["auto_prepend_file", "auto_append_file", "allow_url_include", "sendmail_path", "extension",
                                           "zend_extension", "opcache.preload", "ffi.preload"]

    static func php(_ name: String, _ args: ArraySlice<String>) -> String? {
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if ["-r", "-R", "-B", "-E", "-a", "--run", "--process-code", "--process-begin", "--process-end", "--interactive"].contains(a) || a.hasPrefix("-r") {
                return "\(name) \(a) runs inline code"
            }
            // `php [options] -- args`: the script comes from stdin.
            if a == "--" { return "\(name) -- reads its program from stdin" }
            guard a.hasPrefix("-") else { return script(name, a) }
            var flag = a
            var value: String?
            if let eq = a.firstIndex(of: "="), a.hasPrefix("--") {
                flag = String(a[..<eq])
                value = String(a[a.index(after: eq)...])
            } else if !a.hasPrefix("--"), a.count > 2 {
                flag = String(a.prefix(2))
                value = String(a.dropFirst(2))
            }
            let long = ["--php-ini": "-c", "--define": "-d", "--zend-extension": "-z", "--file": "-f", "--process-file": "-F"]
            flag = long[flag] ?? flag
            guard ["-c", "-d", "-z", "-F", "-f", "-t"].contains(flag) else { continue }
            if value == nil {
                value = rest.first
                rest = rest.dropFirst()
            }
            let v = value ?? ""
            if flag == "-d" {
                let key = String(v.prefix(while: { $0 != "=" })).filter { $0 != " " }.lowercased()
                if codeIniKeys.contains(key) { return "\(name) -d \(key): an ini setting that loads code or runs a command" }
            } else if flag != "-t", let why = StreamPath.why(v) {
                return "\(name) \(flag): \(why)"
            }
            if flag == "-f" || flag == "-F" { return nil }
        }
        return "\(name) with no script reads its program from stdin"
    }

    static func awk(_ name: String, _ args: ArraySlice<String>) -> String? {
        var rest = args
        var hasProgramFile = false
        func fileValue(_ a: String, _ long: String) -> String? {
            if a.hasPrefix(long + "=") { return String(a.dropFirst(long.count + 1)) }
            if a.count > 2 && !a.hasPrefix("--") { return String(a.dropFirst(2)) }
            let v = rest.first
            rest = rest.dropFirst()
            return v
        }
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "--" { break }
            if a == "-e" || a.hasPrefix("--source") || (a.hasPrefix("-e") && a.count > 2) { return "\(name) \(a) runs an inline program" }
            if a == "-f" || a == "--file" || a.hasPrefix("--file=") || (a.hasPrefix("-f") && a.count > 2)
                || a == "-E" || a == "--exec" || a.hasPrefix("--exec=") || (a.hasPrefix("-E") && a.count > 2) {
                if let v = fileValue(a, a.hasPrefix("--e") || a.hasPrefix("-E") ? "--exec" : "--file"), let why = StreamPath.why(v) {
                    return "\(name) \(a): \(why)"
                }
                hasProgramFile = true
                continue
            }
            if a == "-i" || a == "--include" || a.hasPrefix("--include=") {
                if let v = fileValue(a, "--include"), let why = StreamPath.why(v) { return "\(name) \(a): \(why)" }
                continue
            }
            if a == "-F" || a == "-v" || a == "--assign" || a == "--field-separator" || a == "-l" || a == "--load" {
                rest = rest.dropFirst()
                continue
            }
            if a.hasPrefix("-"), a != "-" { continue }
            return hasProgramFile ? nil : "\(name) program \"\(a.prefix(40))\" is inline code"
        }
        if hasProgramFile { return nil }
        if let program = rest.first { return "\(name) program \"\(program.prefix(40))\" is inline code" }
        return nil
    }

    /// tclsh and wish take a script operand; expect also has `-c` (inline), `-i`
    /// (interactive) and `-f`/`-b` program files.
    static func tcl(_ name: String, _ args: ArraySlice<String>) -> String? {
        var rest = args
        if name == "expect" {
            while let a = rest.first {
                rest = rest.dropFirst()
                switch a {
                case "-c": return "\(name) -c runs inline code"
                case "-i": return "\(name) -i reads commands from stdin"
                case "-": return "\(name) - reads its program from stdin"
                case "-f", "-b":
                    guard let v = rest.first else { return nil }
                    return StreamPath.why(v).map { "\(name) \(a): \($0)" }
                case "--": return rest.first.flatMap { script(name, $0) }
                default:
                    if !a.hasPrefix("-") { return script(name, a) }
                }
            }
            return "\(name) with no script reads its program from stdin"
        }
        if rest.first == "-encoding" { rest = rest.dropFirst(2) }
        guard let s = rest.first, s != "-" else { return "\(name) reads its program from stdin" }
        return script(name, s)
    }
}
