/// gdb and lldb. Their command languages run shell commands and Python (`shell`, `!`,
/// `python`, `script`), so commands given on the command line (`-ex`, `-o`) are inline code;
/// so is a command file that is a stream, and running without batch mode, where they read
/// commands from stdin.
enum Debuggers {
    static func gdb(_ name: String, _ args: ArraySlice<String>) -> String? {
        var rest = args
        var batch = false
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "--args" { break }  // the debuggee's argv follows
            guard a.hasPrefix("-"), a.count > 1 else { continue }
            // getopt_long_only: one or two dashes, unambiguous abbreviations, `=value`.
            let body = a.hasPrefix("--") ? a.dropFirst(2) : a.dropFirst()
            let opt = body.prefix(while: { $0 != "=" })
            let attached: Substring? = opt.count < body.count ? body.dropFirst(opt.count + 1) : nil
            if ["version", "help", "configuration"].contains(opt) { return nil }
            if CommandRunners.abbreviates(opt, ["ex", "eval-command", "iex", "init-eval-command"]) != nil {
                return "\(name) \(a.prefix(30)) runs a debugger command (which can run shell commands)"
            }
            if opt == "x" || opt == "ix" || CommandRunners.abbreviates(opt, ["command", "init-command"]) != nil {
                if let v = CommandRunners.value(attached, &rest), let why = StreamPath.why(v) { return "\(name) \(a): \(why)" }
                continue
            }
            if opt == "batch" { batch = true }
            if attached == nil, ["p", "pid", "c", "core", "d", "directory", "cd", "s", "symbols", "e", "exec", "se", "tty", "i", "interpreter", "data-directory", "D", "b", "l"].contains(opt) {
                rest = rest.dropFirst()
            }
        }
        return batch ? nil : "\(name) without -batch reads commands from stdin"
    }

    static func lldb(_ name: String, _ args: ArraySlice<String>) -> String? {
        var rest = args
        var batch = false
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "--" { break }
            switch a {
            case "--version", "-v", "--help", "-h": return nil
            case "-o", "--one-line", "-O", "--one-line-before-file", "-k", "--one-line-on-crash":
                return "\(name) \(a) runs a debugger command (which can run shell commands)"
            case "-r", "--repl": return "\(name) \(a) starts a REPL reading stdin"
            case "-s", "--source", "-S", "--source-before-file", "-K", "--source-on-crash":
                if let v = rest.first, let why = StreamPath.why(v) { return "\(name) \(a): \(why)" }
                rest = rest.dropFirst()
            case "-b", "--batch": batch = true
            case "-a", "--arch", "-c", "--core", "-p", "--attach-pid", "-n", "--attach-name", "-l", "--script-language", "-f", "--file":
                rest = rest.dropFirst()
            default:
                if a.hasPrefix("--one-line") || a.hasPrefix("--repl") { return "\(name) \(a) runs debugger commands" }
            }
        }
        return batch ? nil : "\(name) without --batch reads commands from stdin"
    }
}
