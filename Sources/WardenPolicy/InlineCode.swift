/// Detects interpreter inline-code forms in an argv: code passed as an argument (`sh -c`,
/// `python3 -c`, `perl -e`, `node -e`, `php -r`, awk programs ...) or read from stdin (a shell
/// or interpreter started with no script operand). Interpreters are recognised by basename
/// (versions stripped: `python3.12` is `python`), also behind `env`, `busybox`/`toybox`
/// applets and common exec wrappers (`nice`, `timeout`, `xargs`, `find -exec` ...).
/// It over-approximates on purpose: a false positive is fixed by an exact structured rule,
/// a false negative is an escape.
enum InlineCode {
    enum Family {
        case shell, python, perl, ruby, node, denoBun, php, awk, lua, tcl, rlang, pwsh
        case multicall, env, wrapper
    }

    /// Program basename (version suffix stripped) → family. A dictionary, not a `switch`
    /// over strings, because this runs for every argv element of every decision.
    static let families: [String: Family] = {
        var t: [String: Family] = [:]
        for n in ["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "fish", "csh", "tcsh", "yash", "posh", "rbash", "pdksh", "oksh", "lksh"] { t[n] = .shell }
        for n in ["python", "pypy", "ipython"] { t[n] = .python }
        for n in ["perl"] { t[n] = .perl }
        for n in ["ruby", "irb", "jruby"] { t[n] = .ruby }
        for n in ["node", "nodejs"] { t[n] = .node }
        for n in ["deno", "bun"] { t[n] = .denoBun }
        for n in ["php", "php-cli"] { t[n] = .php }
        for n in ["awk", "gawk", "mawk", "nawk", "busybox-awk"] { t[n] = .awk }
        for n in ["lua", "luajit"] { t[n] = .lua }
        for n in ["tclsh", "wish", "expect"] { t[n] = .tcl }
        for n in ["R", "Rscript"] { t[n] = .rlang }
        for n in ["pwsh", "powershell"] { t[n] = .pwsh }
        for n in ["busybox", "toybox"] { t[n] = .multicall }
        for n in ["env"] { t[n] = .env }
        for n in ["nice", "nohup", "timeout", "stdbuf", "setsid", "xargs", "time", "command", "exec", "ionice", "taskset", "chrt", "flock", "unshare", "nsenter", "sudo", "doas", "chroot", "watch", "strace", "ltrace", "firejail", "find", "parallel", "runuser", "su", "setpriv", "prlimit", "systemd-run", "script", "capsh", "unbuffer", "catchsegv"] { t[n] = .wrapper }
        return t
    }()

    /// One bit per (length, first byte) of the names in `families`: a name whose pair is not
    /// set cannot be in the table, which most argv words (flags, file names) show without
    /// hashing the string.
    static let shapes: [UInt64] = {
        var bits = [UInt64](repeating: 0, count: 32 * 4)
        for name in families.keys {
            let u = Array(name.utf8)
            guard let first = u.first, u.count < 32 else { continue }
            bits[u.count * 4 + Int(first >> 6)] |= 1 << UInt64(first & 63)
        }
        return bits
    }()

    static func mayBeFamily(_ u: Substring.UTF8View) -> Bool {
        guard let first = u.first, u.count < 32 else { return false }
        return shapes[u.count * 4 + Int(first >> 6)] & (1 << UInt64(first & 63)) != 0
    }

    /// The family of a program basename, or nil for ordinary programs.
    static func family(_ name: String) -> Family? {
        // Strip a version suffix (`python3.12`, `php8.2`, `lua-5.4`) byte-wise.
        let u = name.utf8
        var end = u.endIndex
        while end > u.startIndex {
            let b = u[u.index(before: end)]
            guard (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: ".") || b == UInt8(ascii: "-") else { break }
            end = u.index(before: end)
        }
        let stem = Substring(name)[..<end]
        guard mayBeFamily(stem.utf8) else { return nil }
        if end == u.endIndex { return families[name] }
        return families[String(stem)]
    }

    static func basename(_ s: String) -> String {
        let u = s.utf8
        guard let slash = u.lastIndex(of: UInt8(ascii: "/")) else { return s }
        return String(decoding: u[u.index(after: slash)...], as: UTF8.self)
    }

    /// A reason when `argv` runs inline code; `names` are extra names of argv[0]'s program
    /// (its PATH-resolved path and canonical path), checked too.
    static func detect(argv: [String], names: [String]) -> String? {
        guard let first = argv.first else { return nil }
        // argv[0] and the names of its program; usually the same basename, checked once.
        var checked: [String] = []
        for name in CollectionOfOne(first) + names {
            let b = basename(name)
            guard !checked.contains(b) else { continue }
            checked.append(b)
            guard let fam = family(b) else { continue }
            if let r = check(fam, name: b, args: argv.dropFirst(), depth: 0) { return r }
        }
        return scanEmbedded(argv)
    }

    /// Any later argument naming an interpreter directly followed by its inline flag
    /// (`... sh -c ...`), whatever program comes first: catches wrappers not listed above.
    static func scanEmbedded(_ argv: [String]) -> String? {
        if let r = scanWords(argv, from: 1) { return r }
        // Command strings hidden inside one argument (`git -c core.pager='sh -c id'`,
        // `--rsh=bash -c x`): split on spaces, quotes and `=` and scan the words too.
        for (i, a) in argv.enumerated().dropFirst() where a.utf8.contains(UInt8(ascii: " ")) || a.utf8.contains(UInt8(ascii: "\t")) {
            let words = a.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "=" || $0 == "'" || $0 == "\"" || $0 == ";" || $0 == "|" || $0 == "&" || $0 == "(" || $0 == "`" })
                .map(String.init)
            if let r = scanWords(words, from: 0) { return "\(r) inside argument \(i)" }
        }
        return nil
    }

    private static func scanWords(_ argv: [String], from start: Int) -> String? {
        for i in argv.indices.dropFirst(start) {
            let b = basename(argv[i])
            guard let fam = family(b), i + 1 < argv.count else { continue }
            let flag = argv[i + 1]
            let inline: Bool
            switch fam {
            case .shell: inline = flag.hasPrefix("-") && !flag.hasPrefix("--") && flag.dropFirst().contains("c")
            case .python: inline = flag.hasPrefix("-c") || (flag.hasPrefix("-") && !flag.hasPrefix("--") && flag.dropFirst().contains("c"))
            case .perl, .ruby, .lua, .rlang: inline = flag.hasPrefix("-") && !flag.hasPrefix("--") && (flag.contains("e") || flag.contains("E"))
            case .node: inline = flag == "-e" || flag == "-p" || flag.hasPrefix("--eval") || flag.hasPrefix("--print") || flag == "-pe"
            case .denoBun: inline = flag == "eval" || flag == "-e"
            case .php: inline = ["-r", "-R", "-B", "-E", "--run"].contains(flag)
            case .pwsh: inline = flag.lowercased().hasPrefix("-c") || flag.lowercased().hasPrefix("-e")
            default: inline = false
            }
            if inline { return "\(b) \(flag) runs inline code (argument \(i))" }
        }
        return nil
    }

    private static func check(_ fam: Family, name: String, args: ArraySlice<String>, depth: Int) -> String? {
        guard depth < 8 else { return "\(name): too many nested wrappers" }
        switch fam {
        case .shell: return shell(name, args)
        case .python: return python(name, args)
        case .perl: return clustered(name, args, inline: "eE", takesRest: "IMmixdDC", stdin: true)
        case .ruby: return clustered(name, args, inline: "e", takesRest: "IrCEKFxTW0", stdin: true)
        case .lua: return clustered(name, args, inline: "e", takesRest: "l", stdin: true)
        case .rlang: return clustered(name, args, inline: "e", takesRest: "", stdin: name == "R")
        case .tcl: return args.isEmpty || args.first == "-" ? "\(name) reads its program from stdin" : nil
        case .node: return node(name, args)
        case .denoBun:
            for a in args {
                if a == "eval" || a == "-e" || a == "--eval" || a == "-p" || a == "--print" || a == "repl" { return "\(name) \(a) runs inline code" }
                if !a.hasPrefix("-") { return nil }
            }
            return args.isEmpty ? "\(name) with no arguments starts a REPL" : nil
        case .php: return php(name, args)
        case .awk: return awk(name, args)
        case .pwsh:
            for a in args {
                let l = a.lowercased()
                if l.hasPrefix("-c") || l.hasPrefix("-e") || l.hasPrefix("/c") || l == "-" { return "\(name) \(a) runs inline code" }
                if !a.hasPrefix("-") { return nil }
            }
            return "\(name) with no script reads commands from stdin"
        case .multicall:
            guard let applet = args.first else { return nil }
            let b = basename(applet)
            guard let f = family(b) else { return nil }
            return check(f, name: b, args: args.dropFirst(), depth: depth + 1)
        case .env: return env(name, args, depth: depth)
        case .wrapper:
            // Find the wrapped program: the first later argument that is a known
            // interpreter, multicall binary, env or wrapper.
            var rest = args
            while let a = rest.first {
                rest = rest.dropFirst()
                let b = basename(a)
                if let f = family(b) { return check(f, name: b, args: rest, depth: depth + 1) }
            }
            return nil
        }
    }

    private static func shell(_ name: String, _ args: ArraySlice<String>) -> String? {
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "-" || a == "--" { return "\(name) \(a) reads commands from stdin" }
            if a.hasPrefix("--") {
                if a == "--rcfile" || a == "--init-file" { rest = rest.dropFirst() }
                continue
            }
            if a.hasPrefix("-") || a.hasPrefix("+") {
                let flags = a.dropFirst()
                if flags.contains("c") { return "\(name) \(a) runs an inline command string" }
                if flags.contains("s") { return "\(name) \(a) reads commands from stdin" }
                if flags.contains("i") { return "\(name) \(a) starts an interactive shell" }
                if flags.contains("o") || flags.contains("O") { rest = rest.dropFirst() }
                continue
            }
            return nil  // a script operand
        }
        return "\(name) with no script operand reads commands from stdin"
    }

    private static func python(_ name: String, _ args: ArraySlice<String>) -> String? {
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "-" { return "\(name) - reads its program from stdin" }
            if a == "--" { return rest.isEmpty ? "\(name) with no script reads its program from stdin" : nil }
            if a.hasPrefix("--") {
                if a == "--check-hash-based-pycs" { rest = rest.dropFirst() }
                continue
            }
            if a.hasPrefix("-") {
                for ch in a.dropFirst() {
                    if ch == "c" { return "\(name) \(a) runs inline code" }
                    if ch == "m" { return nil }
                    if ch == "W" || ch == "X" {
                        if a.hasSuffix(String(ch)) { rest = rest.dropFirst() }
                        break
                    }
                }
                continue
            }
            return nil
        }
        return "\(name) with no script reads its program from stdin"
    }

    /// Interpreters with getopt-style clusters (`perl -lne`, `ruby -e`).
    private static func clustered(_ name: String, _ args: ArraySlice<String>, inline: String, takesRest: String, stdin: Bool) -> String? {
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "-" { return "\(name) - reads its program from stdin" }
            if a == "--" { break }
            if a.hasPrefix("--") { continue }
            if a.hasPrefix("-") {
                for ch in a.dropFirst() {
                    if inline.contains(ch) { return "\(name) \(a) runs inline code" }
                    if takesRest.contains(ch) { break }
                }
                continue
            }
            return nil
        }
        if rest.first != nil { return nil }
        return stdin ? "\(name) with no script reads its program from stdin" : nil
    }

    private static func node(_ name: String, _ args: ArraySlice<String>) -> String? {
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "-" { return "\(name) - reads its program from stdin" }
            if a == "--" { return rest.isEmpty ? "\(name) with no script starts a REPL" : nil }
            if a == "--eval" || a == "--print" || a.hasPrefix("--eval=") || a.hasPrefix("--print=") || a == "-i" || a == "--interactive" {
                return "\(name) \(a) runs inline code"
            }
            if a.hasPrefix("--") {
                if ["--require", "--import", "--loader", "--experimental-loader", "--input-type", "--env-file"].contains(a) { rest = rest.dropFirst() }
                continue
            }
            if a.hasPrefix("-") {
                if a.contains("e") || a.contains("p") || a.contains("i") { return "\(name) \(a) runs inline code" }
                if a == "-r" { rest = rest.dropFirst() }
                continue
            }
            return nil
        }
        return "\(name) with no script starts a REPL"
    }

    private static func php(_ name: String, _ args: ArraySlice<String>) -> String? {
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if ["-r", "-R", "-B", "-E", "-a", "--run", "--process-code", "--process-begin", "--process-end", "--interactive"].contains(a) || a.hasPrefix("-r") {
                return "\(name) \(a) runs inline code"
            }
            if a == "--" { break }
            if a.hasPrefix("-") {
                if ["-c", "-d", "-z", "-F", "-f", "-t"].contains(a) {
                    if a == "-f" || a == "-F" { return nil }
                    rest = rest.dropFirst()
                }
                continue
            }
            return nil
        }
        if rest.first != nil { return nil }
        return "\(name) with no script reads its program from stdin"
    }

    private static func awk(_ name: String, _ args: ArraySlice<String>) -> String? {
        var rest = args
        var hasProgramFile = false
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "--" { break }
            if a == "-e" || a.hasPrefix("--source") || (a.hasPrefix("-e") && a.count > 2) { return "\(name) \(a) runs an inline program" }
            if a == "-f" || a == "--file" || a.hasPrefix("--file=") || (a.hasPrefix("-f") && a.count > 2) {
                if a == "-f" || a == "--file" { rest = rest.dropFirst() }
                hasProgramFile = true
                continue
            }
            if a == "-F" || a == "-v" || a == "--assign" || a == "--field-separator" || a == "-i" || a == "--include" || a == "-l" || a == "--load" {
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

    private static func env(_ name: String, _ args: ArraySlice<String>, depth: Int) -> String? {
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "--" { break }
            if a == "-S" || a == "--split-string" || a.hasPrefix("-S") || a.hasPrefix("--split-string=") {
                // env -S splits one argument into several: check the split words as the command.
                var text = a
                if a == "-S" || a == "--split-string" {
                    guard let next = rest.first else { return nil }
                    text = next
                    rest = rest.dropFirst()
                } else if a.hasPrefix("--split-string=") {
                    text = String(a.dropFirst("--split-string=".count))
                } else {
                    text = String(a.dropFirst(2))
                }
                let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
                return command(ArraySlice(words + Array(rest)), depth: depth)
            }
            if a == "-u" || a == "--unset" || a == "-C" || a == "--chdir" || a == "-P" || a == "-a" || a == "--argv0" { rest = rest.dropFirst(); continue }
            if a.hasPrefix("-") { continue }
            if a.contains("=") { continue }
            return command(ArraySlice([a] + Array(rest)), depth: depth)
        }
        return command(rest, depth: depth)
    }

    private static func command(_ argv: ArraySlice<String>, depth: Int) -> String? {
        guard let first = argv.first else { return nil }
        let b = basename(first)
        guard let f = family(b) else { return nil }
        return check(f, name: b, args: argv.dropFirst(), depth: depth + 1)
    }
}
