/// Further interpreters, described by their option table instead of a parser each: which
/// flags take code inline, which take a program file, and whether a missing script means a
/// REPL reading stdin. (The older families in `InlineCode` have hand-written parsers.)
struct Interpreter: Sendable {
    var inline: Set<String> = []     // flags whose value is code, or that start a REPL
    var file: Set<String> = []       // flags whose value is a program file
    var value: Set<String> = []      // other flags taking a separate value
    var noRepl: Set<String> = []     // flags that make a missing script mean "exit", not a REPL
    var repl = true                  // with no script it reads its program from stdin
    var always = false               // ends in a REPL reading stdin whatever the arguments
    var replWords: Set<String> = []  // subcommands that start a REPL
    var allOperands = false          // every operand is a program file (m4)

    static let table: [String: Interpreter] = [
        "julia": Interpreter(inline: ["-e", "-E", "--eval", "--print", "-i", "--interactive"], file: ["-L", "--load"],
                             value: ["-J", "--sysimage", "-t", "--threads", "-p", "--procs", "-C", "--cpu-target"]),
        "raku": raku, "rakudo": raku, "perl6": raku,
        "elixir": Interpreter(inline: ["-e", "--eval", "--rpc-eval"], file: ["-r", "-pr"], value: ["--erl", "--sname", "--name", "--cookie", "--logger-otp-reports"], repl: false),
        "iex": Interpreter(always: true),
        "erl": Interpreter(inline: ["-eval", "-s", "-run", "-S"], value: ["-sname", "-name", "-setcookie", "-pa", "-pz", "-config"],
                           noRepl: ["-noshell", "-noinput", "-detached"]),
        "guile": Interpreter(inline: ["-c"], file: ["-l", "-s"], value: ["-L", "-C", "-x", "-e"]),
        "racket": Interpreter(inline: ["-e", "--eval", "-i", "--repl"], file: ["-f", "--load", "-t", "--require", "-r", "--script"],
                              value: ["-l", "--lib", "-S", "--dir"]),
        "sbcl": Interpreter(inline: ["--eval"], file: ["--load", "--script", "--core", "--userinit", "--sysinit"],
                            value: ["--dynamic-space-size", "--control-stack-size"], noRepl: ["--non-interactive", "--script"]),
        "clisp": Interpreter(inline: ["-x", "-repl"], file: ["-i", "-M"], value: ["-m", "-L", "-E"]),
        "groovy": Interpreter(inline: ["-e"], value: ["-cp", "--classpath", "-classpath"], repl: false),
        "jshell": Interpreter(always: true),
        "ghci": Interpreter(always: true),
        "gnuplot": Interpreter(inline: ["-e"], file: ["-c"]),
        "octave": Interpreter(inline: ["--eval", "--persist", "-i", "--interactive"], value: ["-p", "--path"]),
        "bb": Interpreter(inline: ["-e", "--eval"], file: ["-f", "--file"], value: ["--classpath", "-cp", "-m", "--main"]),
        "clojure": clojure, "clj": clojure,
        "swift": Interpreter(inline: ["-e"], repl: false, replWords: ["repl"]),
        "dc": Interpreter(inline: ["-e", "--expression"], file: ["-f", "--file"]),
        "m4": Interpreter(file: ["--include"], value: ["-D", "--define", "-U", "--undefine", "-I", "-o", "--error-output", "-d", "--debug",
                                                         "-l", "--arglength", "-L", "--nesting-limit", "-F", "--freeze-state", "-R", "--reload-state", "-t", "--trace", "--debugfile"],
                          allOperands: true),
    ]
    static let raku = Interpreter(inline: ["-e"], value: ["-I", "-M"])
    static let clojure = Interpreter(inline: ["-e", "--eval", "-r", "--repl"], value: ["-Sdeps", "-A", "-X", "-T", "-M", "-J"])

    func check(_ name: String, _ args: ArraySlice<String>) -> String? {
        var rest = args
        var sawScript = false
        var quiet = false
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "--" {
                guard let script = rest.first else { break }
                if let why = StreamPath.why(script) { return "\(name) script \(why)" }
                sawScript = true
                if !allOperands { break }
                continue
            }
            // `--flag=value` and `-eCODE` (attached to a one-letter flag).
            var flag = a
            var attached: Substring?
            if a.hasPrefix("--"), let eq = a.firstIndex(of: "=") {
                flag = String(a[..<eq])
                attached = a[a.index(after: eq)...]
            } else if a.hasPrefix("-"), !a.hasPrefix("--"), a.count > 2, !inline.contains(a), !file.contains(a), !value.contains(a) {
                let two = String(a.prefix(2))
                if inline.contains(two) || file.contains(two) {
                    flag = two
                    attached = a.dropFirst(2)
                }
            }
            if inline.contains(flag) { return "\(name) \(flag) runs inline code" }
            if file.contains(flag) {
                let v = attached.map(String.init) ?? rest.first
                if attached == nil { rest = rest.dropFirst() }
                if let v, let why = StreamPath.why(v) { return "\(name) \(flag): \(why)" }
                if flag == "--script" || (flag == "-s" && name == "guile") { sawScript = true }
                continue
            }
            if noRepl.contains(flag) { quiet = true }
            if value.contains(flag) {
                if attached == nil { rest = rest.dropFirst() }
                continue
            }
            if a.hasPrefix("-"), a != "-" { continue }
            if let why = StreamPath.why(a) { return "\(name) script \(why)" }
            if !sawScript && replWords.contains(a) { return "\(name) \(a) starts a REPL reading stdin" }
            sawScript = true
            if !allOperands { break }
        }
        if always { return "\(name) starts a REPL reading its program from stdin" }
        if !sawScript && repl && !quiet { return "\(name) with no script reads its program from stdin" }
        return nil
    }
}
