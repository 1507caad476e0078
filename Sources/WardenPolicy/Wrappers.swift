/// Exec wrappers that are more than a prefix: some run their command through a shell
/// (`watch`, `flock -c`, `su -c`, `script -c`, `parallel`), some start a shell when given no
/// command (`chroot`, `unshare`, `nsenter`, `firejail`, `sudo -s`, `capsh --`). A command
/// given as a shell string is inline code whatever it says; a command given as an argv is
/// checked like any argv (an unknown program is left to the kernel exec allowlist).
enum Wrappers {
    static func check(_ r: CommandRunners.Runner, name: String, args: ArraySlice<String>, depth: Int) -> String? {
        let info: Set<String> = ["--help", "-h", "--version", "-V"]
        switch r {
        case .su, .script:
            if !args.isEmpty && args.allSatisfy(info.contains) { return nil }
            return "\(name) starts a shell: its command string is inline code, and without one it reads commands from stdin"
        case .parallel:
            if !args.isEmpty && args.allSatisfy({ info.contains($0) || $0 == "--citation" }) { return nil }
            return "\(name) runs its command lines through a shell"
        case .runuser: return runuser(name, args, depth: depth)
        case .sudo: return sudo(name, args, depth: depth)
        case .doas:
            var rest = args
            while let a = rest.first, a.hasPrefix("-"), a != "--" {
                rest = rest.dropFirst()
                if a.contains("s") { return "\(name) -s starts a shell reading stdin" }
                if a == "-u" || a == "-C" { rest = rest.dropFirst() }
            }
            return InlineCode.command(rest.first == "--" ? rest.dropFirst() : rest, depth: depth)
        case .flock:
            var rest = args
            var operands = 0
            while let a = rest.first {
                if a == "-c" || CommandRunners.long(a).flatMap({ CommandRunners.abbreviates($0.name, ["command"]) }) != nil {
                    return "\(name) \(a) runs a command string through sh -c"
                }
                if a == "--" { rest = rest.dropFirst(); break }
                if operands == 1 && !a.hasPrefix("-") { break }  // the command after the lock file
                rest = rest.dropFirst()
                if ["-w", "--wait", "--timeout", "-E", "--conflict-exit-code"].contains(a) { rest = rest.dropFirst() } else if !a.hasPrefix("-") { operands += 1 }
            }
            return InlineCode.command(rest, depth: depth)
        case .watch:
            var rest = args
            var exec = false
            while let a = rest.first, a.hasPrefix("-"), a.count > 1 {
                rest = rest.dropFirst()
                if a == "--" { break }
                if a == "--exec" { exec = true; continue }
                if ["--interval", "--equexit", "--chgexit"].contains(a) { rest = rest.dropFirst(); continue }
                if a.hasPrefix("--") { continue }
                for ch in a.dropFirst() {
                    if ch == "x" { exec = true }
                    if ch == "n" || ch == "q" {
                        if a.hasSuffix(String(ch)) { rest = rest.dropFirst() }
                        break
                    }
                }
            }
            if rest.isEmpty { return nil }
            return exec ? InlineCode.command(rest, depth: depth) : "\(name) runs its command through sh -c (use -x to exec it)"
        case .multiplexer: return multiplexer(name, args)
        case .capsh:
            // Arguments after `--` go to bash (or --shell=PROG): check them as a shell's.
            guard let dd = args.firstIndex(of: "--") else { return nil }
            return InlineCode.check(.shell, name: "bash", args: args[(dd + 1)...], depth: depth + 1)
        case .chroot:
            var rest = args
            var newroot = false
            while let a = rest.first {
                rest = rest.dropFirst()
                if a == "--userspec" || a == "--groups" { rest = rest.dropFirst(); continue }
                if a.hasPrefix("-") && a != "--" { continue }
                if a == "--" { continue }
                if newroot {
                    return InlineCode.command(CollectionOfOne(a) + rest, depth: depth)
                }
                newroot = true
            }
            return newroot ? "\(name) with no command starts an interactive shell" : nil
        case .shellWhenBare:
            let values: Set<String> = name == "nsenter"
                ? ["-t", "--target", "-S", "--setuid", "-G", "--setgid", "--user-parent"]
                : ["-S", "--setuid", "-G", "--setgid", "-R", "--root", "-w", "--wd", "--map-user", "--map-group", "--map-users",
                   "--map-groups", "--setgroups", "--propagation"]
            var rest = args
            while let a = rest.first, a.hasPrefix("-") {
                rest = rest.dropFirst()
                if a == "--" { break }
                if values.contains(a) { rest = rest.dropFirst() }
            }
            if rest.isEmpty {
                return args.contains(where: info.contains) ? nil : "\(name) with no command starts an interactive shell"
            }
            return InlineCode.command(rest, depth: depth)
        default: return nil
        }
    }

    /// `runuser -u USER -- cmd` execs cmd; every other form is `su`'s (a shell).
    private static func runuser(_ name: String, _ args: ArraySlice<String>, depth: Int) -> String? {
        guard args.contains("-u") || args.contains(where: { $0.hasPrefix("--user") }) else {
            return check(.su, name: name, args: args, depth: depth)
        }
        var rest = args
        while let a = rest.first, a.hasPrefix("-") {
            rest = rest.dropFirst()
            if a == "--" { break }
            if a == "-c" || a.hasPrefix("--command") || a.hasPrefix("--session-command") || a == "-s" || a.hasPrefix("--shell") || a == "-l" || a == "--login" {
                return "\(name) \(a) runs a shell"
            }
            if ["-u", "--user", "-g", "--group", "-G", "--supp-group", "-w", "--whitelist-environment"].contains(a) { rest = rest.dropFirst() }
        }
        return InlineCode.command(rest, depth: depth)
    }

    private static func sudo(_ name: String, _ args: ArraySlice<String>, depth: Int) -> String? {
        let values: Set<String> = ["--user", "--group", "--close-from", "--chdir", "--host", "--prompt", "--role", "--type",
                                   "--command-timeout", "--other-user", "--chroot"]
        var rest = args
        while let a = rest.first, a.hasPrefix("-") {
            rest = rest.dropFirst()
            if a == "--" { break }
            if let (opt, attached) = CommandRunners.long(a) {
                if CommandRunners.abbreviates(opt, ["shell", "login"]) != nil { return "\(name) \(a) runs a shell" }
                if CommandRunners.abbreviates(opt, ["edit"]) != nil { return nil }  // sudoedit: files, not commands
                if attached == nil, values.contains(a) { rest = rest.dropFirst() }
                continue
            }
            for ch in a.dropFirst() {
                if ch == "s" || ch == "i" { return "\(name) -\(ch) runs a shell" }
                if ch == "e" { return nil }
                if "ugCDhprtTUR".contains(ch) {
                    if a.hasSuffix(String(ch)) { rest = rest.dropFirst() }
                    break
                }
            }
        }
        return InlineCode.command(rest, depth: depth)
    }

    /// tmux and screen run shell commands (`new-window CMD`, `run-shell`, `send-keys`,
    /// `#(...)` formats, `-c`); only informational forms are allowed.
    private static func multiplexer(_ name: String, _ args: ArraySlice<String>) -> String? {
        let safe: Set<String> = ["-V", "--version", "-v", "-ls", "-list", "ls", "list-sessions", "list-windows", "list-panes",
                                 "list-clients", "has-session", "has", "kill-session", "kill-server", "kill-window", "kill-pane"]
        var rest = args
        if name == "tmux" {
            while let a = rest.first, a.hasPrefix("-"), !safe.contains(a) {
                rest = rest.dropFirst()
                if a.contains("c") { return "\(name) -c runs a shell command" }
                if a == "-f", let f = rest.first, let why = StreamPath.why(f) { return "\(name) -f: \(why)" }
                if ["-f", "-L", "-S", "-T"].contains(a) { rest = rest.dropFirst() }
            }
        }
        guard let sub = rest.first, safe.contains(sub) else { return "\(name) runs shell commands and interactive shells" }
        for a in rest.dropFirst() {
            if a == "-F" || a.contains("#(") || a.hasSuffix(";") || a == "-X" { return "\(name) \(a): runs commands" }
        }
        return nil
    }

    /// `strace -o '|cmd'` (or `!cmd`) pipes the trace into a shell command.
    static func strace(_ name: String, _ args: ArraySlice<String>, depth: Int) -> String? {
        var rest = args
        while let a = rest.first, a.hasPrefix("-") {
            rest = rest.dropFirst()
            if a == "--" { break }
            var out: String?
            if let (opt, attached) = CommandRunners.long(a) {
                if CommandRunners.abbreviates(opt, ["output"]) != nil { out = CommandRunners.value(attached, &rest) }
            } else {
                var letters = a.dropFirst()
                while let ch = letters.first {
                    letters = letters.dropFirst()
                    guard "oePpsuabEIOSXU".contains(ch) else { continue }
                    let v = letters.isEmpty ? rest.first : String(letters)
                    if letters.isEmpty { rest = rest.dropFirst() }
                    if ch == "o" { out = v }
                    break
                }
            }
            if let out, out.hasPrefix("|") || out.hasPrefix("!") { return "\(name) -o \(out.prefix(30)) pipes into a shell command" }
        }
        return InlineCode.command(rest, depth: depth)
    }
}
