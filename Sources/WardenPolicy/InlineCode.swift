/// Detects inline-code forms in an argv: code passed as an argument (`sh -c`, `python3 -c`,
/// `perl -e`, `node -e`, `php -r`, awk programs ...), read from stdin (a shell or interpreter
/// started with no script operand) or from a program file that is a caller stream
/// (`python3 /dev/stdin`, see `StreamPath`), and the command-running switches of other
/// programs (`CommandRunners`: git `-c`, `tar --to-command`, `less +!cmd` ...). Programs are
/// recognised by basename (versions stripped: `python3.12` is `python`), also behind `env`,
/// `busybox`/`toybox` applets and exec wrappers (`nice`, `timeout`, `xargs` ...).
/// It over-approximates on purpose: a false positive is fixed by an exact structured rule,
/// a false negative is an escape.
enum InlineCode {
    enum Family {
        case shell, python, perl, ruby, node, denoBun, php, awk, lua, tcl, rlang, pwsh
        case multicall, env, wrapper
        case runner(CommandRunners.Runner)
    }

    /// Program basename (version suffix stripped) → family. A dictionary, not a `switch`
    /// over strings, because this runs for every argv element of every decision.
    static let families: [String: Family] = {
        var t: [String: Family] = [:]
        for n in ["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "fish", "csh", "tcsh", "yash", "posh", "rbash", "pdksh", "oksh", "lksh",
                  "nu", "elvish", "xonsh", "osh", "ysh", "ion"] { t[n] = .shell }
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
        // Plain exec wrappers; those with shell or option semantics of their own (`watch`,
        // `flock -c`, `sudo -s`, `find -exec` ...) are runners.
        for n in ["nice", "nohup", "timeout", "stdbuf", "setsid", "xargs", "time", "command", "exec", "ionice", "taskset", "chrt", "ltrace", "setpriv", "prlimit", "systemd-run", "unbuffer", "catchsegv"] { t[n] = .wrapper }
        for (n, r) in CommandRunners.names where t[n] == nil { t[n] = .runner(r) }
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
        if let why = StreamPath.why(first, dashIsStdin: false) { return "the program \(why)" }
        // argv[0] and the names of its program; usually the same basename, checked once.
        var checked: [String] = []
        for name in CollectionOfOne(first) + names {
            let b = basename(name)
            guard !checked.contains(b) else { continue }
            checked.append(b)
            guard let fam = family(b) ?? dottedFamily(b) else { continue }
            if let r = check(fam, name: b, args: argv.dropFirst(), depth: 0) { return r }
        }
        return GenericScans.scan(argv)
    }

    /// `vim.basic`, `vim.tiny`: Debian alternatives' canonical names. Only for the program
    /// itself: in arguments a file like `sh.py` is not a shell.
    static func dottedFamily(_ b: String) -> Family? {
        guard let dot = b.firstIndex(of: "."), dot != b.startIndex else { return nil }
        return family(String(b[..<dot]))
    }

    static func check(_ fam: Family, name: String, args: ArraySlice<String>, depth: Int) -> String? {
        guard depth < 8 else { return "\(name): too many nested wrappers" }
        switch fam {
        case .shell: return shell(name, args)
        case .python: return python(name, args)
        case .perl: return clustered(name, fam, args, inline: "eE", takesRest: "IMmixdDC", stdin: true)
        case .ruby: return clustered(name, fam, args, inline: "e", takesRest: "IrCEKFxTW0", stdin: true)
        case .lua: return clustered(name, fam, args, inline: "ei", takesRest: "l", stdin: true)
        case .rlang: return clustered(name, fam, args, inline: "e", takesRest: "", stdin: name == "R")
        case .tcl: return tcl(name, args)
        case .node: return node(name, args)
        case .denoBun: return denoBun(name, args)
        case .php: return php(name, args)
        case .awk: return awk(name, args)
        case .pwsh: return pwsh(name, args)
        case .multicall:
            guard args.first != nil else { return nil }
            return command(args, depth: depth)
        case .env: return env(name, args, depth: depth)
        case .wrapper: return wrapped(name, args, depth: depth)
        case .runner(let r): return CommandRunners.check(r, name: name, args: args, depth: depth + 1)
        }
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

    /// Checks a nested command line (after env, a wrapper, an applet name ...).
    static func command(_ argv: ArraySlice<String>, depth: Int) -> String? {
        guard let first = argv.first else { return nil }
        if let why = StreamPath.why(first, dashIsStdin: false) { return "the wrapped program \(why)" }
        let b = basename(first)
        guard let f = family(b) else { return nil }
        return check(f, name: b, args: argv.dropFirst(), depth: depth + 1)
    }

    /// Options of plain wrappers that take a value (`timeout -s KILL`, `nice -n 5`,
    /// `xargs -a FILE`), so the value is not taken for the wrapped program.
    static let wrapperValueOptions: Set<String> = ["-s", "--signal", "-k", "--kill-after", "-n", "--adjustment", "-c", "--class",
                                                   "-p", "--pid", "-u", "--user", "-g", "--group", "-a", "--arg-file", "-d", "--delimiter",
                                                   "-E", "-I", "-L", "-P", "--max-procs", "--max-args", "--max-lines", "--max-chars",
                                                   "-i", "-o", "-e", "-S", "-C", "--unit", "--property"]

    /// The wrapped program of a plain wrapper. The first program-like argument is the
    /// program: refused if it is a stream, checked if known. If it is not known, later
    /// arguments naming an interpreter are still checked (wrappers parse their options in
    /// ways not modelled here, so over-approximate), but not other runners, whose names
    /// are common words (`ed`, `more`, `script`).
    private static func wrapped(_ name: String, _ args: ArraySlice<String>, depth: Int) -> String? {
        var rest = args
        var prev = ""
        var sawProgram = false
        while let a = rest.first {
            rest = rest.dropFirst()
            defer { prev = a }
            let b = basename(a)
            if let f = family(b) {
                if case .runner = f, sawProgram { continue }
                return check(f, name: b, args: rest, depth: depth + 1)
            }
            if sawProgram || a.hasPrefix("-") || wrapperValueOptions.contains(prev) || a.contains("=") || isCount(a) { continue }
            if let why = StreamPath.why(a, dashIsStdin: false) { return "\(name) runs a program that \(why)" }
            sawProgram = true
        }
        return nil
    }

    /// `5`, `1.5`, `10s`, `2m`, `0x3`: an operand such as a duration, priority or mask.
    private static func isCount(_ a: String) -> Bool {
        var u = Substring(a)
        if u.hasPrefix("0x") { u = u.dropFirst(2) }
        if let last = u.last, "smhd".contains(last) { u = u.dropLast() }
        return !u.isEmpty && u.allSatisfy { $0.isHexDigit || $0 == "." || $0 == "," || $0 == "-" }
    }
}
