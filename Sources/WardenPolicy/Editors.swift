/// Pagers and editors. Their command languages run shell commands (`!cmd`, `:!cmd`,
/// `|cmd`, `(shell-command)`), so any command given on the command line (`+cmd`, `-c`,
/// `--cmd`, `--eval`, `--remote-send`) is inline code, and so is a startup or keystroke file
/// that is a stream. Files opened for editing are data. Keystrokes typed at an interactive
/// session are not inspected: what they can start is bounded by the exec allowlist.
enum Editors {
    static func pager(_ name: String, _ args: ArraySlice<String>) -> String? {
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "--" { return nil }
            if a.hasPrefix("+") {
                if !harmlessPagerCommand(a) { return "\(name) \(a.prefix(30)): an initial command can run shell commands" }
                continue
            }
            if let (opt, attached) = CommandRunners.long(a) {
                if CommandRunners.abbreviates(opt, ["lesskey-content"]) != nil { return "\(name) \(a.prefix(30)): inline lesskey text can set LESSOPEN" }
                if CommandRunners.abbreviates(opt, ["lesskey-src", "lesskey-file"]) != nil,
                   let v = CommandRunners.value(attached, &rest), let why = StreamPath.why(v) {
                    return "\(name) \(a): \(why)"
                }
            } else if a.hasPrefix("-k") {
                let v = a.count > 2 ? String(a.dropFirst(2)) : rest.first ?? ""
                if let why = StreamPath.why(v) { return "\(name) -k: \(why)" }
            }
        }
        return nil
    }

    /// `+`, `+N`, `+Np`, `+N%`, `+G`, `+g`, `+F`, `+/pattern`, `+?pattern` (also `++…`),
    /// without `!`, `|` or control characters (a newline would end the search and start a
    /// new command).
    static func harmlessPagerCommand(_ a: String) -> Bool {
        var cmd = a.dropFirst()
        if cmd.hasPrefix("+") { cmd = cmd.dropFirst() }
        if cmd.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "!" || $0 == "|" }) { return false }
        guard let f = cmd.first else { return true }
        if f == "/" || f == "?" { return true }
        if ["G", "g", "F"].contains(cmd) { return true }
        let digits = cmd.prefix(while: { $0.isASCII && $0.isNumber })
        let tail = cmd.dropFirst(digits.count)
        return !digits.isEmpty && (tail.isEmpty || tail == "p" || tail == "%")
    }

    static func vim(_ name: String, _ args: ArraySlice<String>) -> String? {
        if name == "ex" || name == "exim" { return "\(name) reads Ex commands from stdin, where `!` runs shell commands" }
        let nvim = name == "nvim"
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "--" { return nil }
            if a.hasPrefix("+") {
                let cmd = a.dropFirst()
                let harmless = cmd.isEmpty || cmd.allSatisfy({ $0.isASCII && $0.isNumber })
                    || (cmd.hasPrefix("/") && !cmd.contains("|") && !cmd.unicodeScalars.contains(where: { $0.value < 0x20 }))
                if !harmless { return "\(name) \(a.prefix(30)) runs an Ex command" }
                continue
            }
            switch a {
            case "-c", "--cmd": return "\(name) \(a) runs an Ex command"
            case "-e", "-E", "-es", "-Es": return "\(name) \(a) reads Ex commands from stdin"
            case "--embed": return "\(name) --embed takes RPC commands from stdin"
            case "--remote-send", "--remote-expr": return "\(name) \(a) runs commands in a Vim server"
            case "-S", "-u", "-U", "-s":
                if let v = rest.first, let why = StreamPath.why(v) { return "\(name) \(a): \(why)" }
                rest = rest.dropFirst()
            case "-l" where nvim:
                if let v = rest.first, let why = StreamPath.why(v) { return "\(name) -l: \(why)" }
                return nil  // the script's own arguments follow
            case "-T", "-t", "-q", "-i", "-w", "-W", "--servername", "--startuptime", "--listen":
                rest = rest.dropFirst()
            default:
                if a.hasPrefix("-c") && a.count > 2 { return "\(name) \(a.prefix(30)) runs an Ex command" }
            }
        }
        return nil
    }

    static func emacs(_ name: String, _ args: ArraySlice<String>) -> String? {
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "--" { return nil }
            guard a.hasPrefix("-"), a.count > 1 else { continue }
            // Emacs takes long options with one or two dashes, abbreviated or `=value`.
            let body = a.hasPrefix("--") ? a.dropFirst(2) : a.dropFirst()
            let opt = body.prefix(while: { $0 != "=" })
            let attached: Substring? = opt.count < body.count ? body.dropFirst(opt.count + 1) : nil
            if opt == "f" || CommandRunners.abbreviates(opt, ["eval", "execute", "funcall"]) != nil {
                return "\(name) \(a.prefix(30)) evaluates Lisp given on the command line"
            }
            if opt == "l" || opt == "x" || CommandRunners.abbreviates(opt, ["load", "script"]) != nil {
                if let v = CommandRunners.value(attached, &rest), let why = StreamPath.why(v) { return "\(name) \(a): \(why)" }
            }
        }
        return nil
    }
}
