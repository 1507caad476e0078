/// Scans applied to every argv, whatever its program: they are what an unknown program
/// gets (its own command-running switches cannot be known; the kernel exec allowlist bounds
/// what it can start). They look for command shapes that are inline code wherever they
/// appear:
/// - an interpreter or shell word followed by its inline flag (`... sh -c ...`) or by a
///   stream script (`... python3 /dev/stdin`), also inside one argument split on blanks,
///   newlines, quotes, `=` and shell punctuation (`--pager=sh -c id`, where `-` counts too);
/// - alias-style shell escapes: `=!cmd` (`alias.x=!id`), and an argument starting with
///   `+!cmd`, `:!cmd` or `+:!cmd` (pager and editor commands);
/// - pipe opens: an argument starting with `|cmd` or ending with `cmd|`, which Perl's and
///   Ruby's `open` (and Perl's `<>`) run as a shell command.
enum GenericScans {
    static func scan(_ argv: [String]) -> String? {
        if let r = scanWords(argv, from: 1, dashIsStdin: false) { return r }
        for (i, a) in argv.enumerated().dropFirst() {
            var blank = false, bang = false, pipe = false
            for b in a.utf8 {
                switch b {
                case 0x20, 0x09, 0x0A, 0x0D: blank = true
                case UInt8(ascii: "!"): bang = true
                case UInt8(ascii: "|"): pipe = true
                default: break
                }
            }
            if bang, let r = shellEscape(a) { return "\(r) (argument \(i))" }
            if pipe, let r = pipeOpen(a) { return "\(r) (argument \(i))" }
            guard blank else { continue }
            // Command strings hidden inside one argument (`git -c core.pager='sh -c id'`,
            // `--rsh=bash -c x`): split and scan the words too.
            let words = a.split(whereSeparator: { " \t\n\r='\";|&(`".contains($0) }).map(String.init)
            if let r = scanWords(words, from: 0, dashIsStdin: true) { return "\(r) inside argument \(i)" }
        }
        return nil
    }

    static func scanWords(_ argv: [String], from start: Int, dashIsStdin: Bool) -> String? {
        for i in argv.indices.dropFirst(start) {
            let b = InlineCode.basename(argv[i])
            guard let fam = InlineCode.family(b), i + 1 < argv.count else { continue }
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
            case .runner, .multicall, .env, .wrapper, .awk: continue  // awk's operands after the program are data
            default: inline = false
            }
            if inline { return "\(b) \(flag) runs inline code (argument \(i))" }
            if let why = StreamPath.why(flag, dashIsStdin: dashIsStdin) { return "\(b) script \(why) (argument \(i))" }
        }
        return nil
    }

    /// First byte of a command word after `!` or `|` (blanks skipped): a letter, a path,
    /// a quote, an expansion. `!=`, `!*.lock` (a glob negation), `|` alone do not count.
    static func startsCommand(_ s: Substring) -> Bool {
        guard let c = s.drop(while: { $0 == " " || $0 == "\t" }).unicodeScalars.first, c.isASCII else { return false }
        return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || "/._~$`({\"'\\".unicodeScalars.contains(c)
    }

    static func shellEscape(_ a: String) -> String? {
        let s = Substring(a).drop(while: { $0 == " " || $0 == "\t" })
        for p in ["+!", ":!", "+:!"] where s.hasPrefix(p) && startsCommand(s.dropFirst(p.count)) {
            return "\(a.prefix(30)) is a shell escape"
        }
        var rest = Substring(a)
        while let r = rest.firstRange(of: "=!") {
            if startsCommand(rest[r.upperBound...]) { return "\(a.prefix(40)): `=!cmd` is an alias-style shell command" }
            rest = rest[r.upperBound...]
        }
        return nil
    }

    static func pipeOpen(_ a: String) -> String? {
        guard !a.hasPrefix("-") else { return nil }
        let t = Substring(a).drop(while: { $0 == " " || $0 == "\t" })
        if t.hasPrefix("|"), startsCommand(t.dropFirst()) { return "\(a.prefix(30)) is a pipe open (runs a command)" }
        let u = t.reversed().drop(while: { $0 == " " || $0 == "\t" })
        if u.first == "|", let before = u.dropFirst().first, before.isLetter || before.isNumber || "_/.\"'".contains(before) {
            return "\(a.prefix(30)) is a pipe open (runs a command)"
        }
        return nil
    }
}
