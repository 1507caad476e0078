/// Programs that are not interpreters but run commands or code through their own switches
/// or command-line configuration (git `-c alias.x=!cmd`, `tar --to-command`, `find -exec`,
/// `less +!cmd`, `vim -c '!cmd'`, `ssh -o ProxyCommand` ...). Such a switch given in argv is
/// inline code whatever command it names: it turns an allowed tool into a command runner the
/// policy did not mean. Code the program takes from files (a Makefile, `.git/config`, a
/// script) is not inline, like a script operand; a file that is a caller stream is.
/// Keyed by basename, merged into `InlineCode.families` so one lookup serves both tables.
enum CommandRunners {
    enum Runner: Sendable {
        case git, hg, svn, ssh, scp, rsync, tar, find, fd, zip, sort, man, pager, vim, emacs, emacsclient, nano, ed
        case sed, make, gdb, lldb, sqlite3, psql, mysql, strace, gpg, wget, npm, cargo, compiler
        case su, runuser, sudo, doas, script, flock, watch, multiplexer, capsh, chroot, shellWhenBare, parallel
        case interpreter(Interpreter)
    }

    static let names: [String: Runner] = {
        var t: [String: Runner] = [
            "git": .git, "hg": .hg, "svn": .svn, "rsync": .rsync, "tar": .tar, "gtar": .tar, "find": .find,
            "fd": .fd, "fdfind": .fd, "zip": .zip, "sort": .sort, "man": .man, "emacs": .emacs, "emacsclient": .emacsclient,
            "nano": .nano, "pico": .nano, "ed": .ed, "red": .ed, "sed": .sed, "gsed": .sed, "make": .make, "gmake": .make, "remake": .make,
            "gdb": .gdb, "gdb-multiarch": .gdb, "lldb": .lldb, "sqlite3": .sqlite3, "sqlite": .sqlite3, "psql": .psql,
            "mysql": .mysql, "mariadb": .mysql, "strace": .strace, "gpg": .gpg, "gpg2": .gpg, "wget": .wget,
            "npm": .npm, "npx": .npm, "pnpm": .npm, "yarn": .npm, "cargo": .cargo,
            "su": .su, "runuser": .runuser, "sudo": .sudo, "doas": .doas, "script": .script, "flock": .flock,
            "watch": .watch, "tmux": .multiplexer, "screen": .multiplexer, "byobu": .multiplexer, "dtach": .multiplexer,
            "abduco": .multiplexer, "capsh": .capsh, "chroot": .chroot, "unshare": .shellWhenBare, "nsenter": .shellWhenBare,
            "firejail": .shellWhenBare, "parallel": .parallel, "sem": .parallel,
        ]
        for n in ["ssh", "slogin", "autossh"] { t[n] = .ssh }
        for n in ["scp", "sftp"] { t[n] = .scp }
        for n in ["less", "more", "most", "pg"] { t[n] = .pager }
        for n in ["vim", "vi", "nvim", "ex", "view", "rvim", "rview", "gvim", "vimdiff", "evim", "nvi", "elvis", "vim.basic", "vim.tiny"] { t[n] = .vim }
        for n in ["gcc", "g++", "cc", "c++", "clang", "clang++", "gfortran", "cpp"] { t[n] = .compiler }
        for (n, spec) in Interpreter.table { t[n] = .interpreter(spec) }
        return t
    }()

    static func check(_ r: Runner, name: String, args: ArraySlice<String>, depth: Int) -> String? {
        switch r {
        case .git: return VersionControl.git(name, args, depth: depth)
        case .hg: return VersionControl.hg(name, args)
        case .svn: return VersionControl.svn(name, args)
        case .ssh: return RemoteShells.ssh(name, args)
        case .scp: return RemoteShells.scp(name, args)
        case .rsync: return RemoteShells.rsync(name, args, depth: depth)
        case .tar: return ToolSwitches.tar(name, args)
        case .find: return ToolSwitches.find(name, args)
        case .fd: return Switches(refuseLong: ["exec", "exec-batch"], refuseShort: "xX").scan(name, args)
        case .zip:
            // `-TT cmd` (`--unzip-command`) runs cmd to test the archive.
            if let a = args.first(where: { $0.hasPrefix("-TT") }) { return "\(name) \(a) runs a command" }
            return Switches(refuseLong: ["unzip-command"]).scan(name, args)
        case .sort: return ToolSwitches.plainValue(name, args, long: "compress-program", allowed: ToolSwitches.compressors)
        case .man: return ToolSwitches.man(name, args)
        case .pager: return Editors.pager(name, args)
        case .vim: return Editors.vim(name, args)
        case .emacs: return Editors.emacs(name, args)
        case .emacsclient: return Switches(refuseLong: ["eval", "alternate-editor"], refuseShort: "ea", valueShort: "sfTwd").scan(name, args)
        case .nano: return Switches(refuseLong: ["speller"], refuseShort: "s", fileLong: ["rcfile"], fileShort: "f",
                                    valueShort: "CQTXYor").scan(name, args)
        case .ed: return name == "red" ? nil : "\(name) reads its commands from stdin, where `!` runs shell commands"
        case .sed: return SedScript.check(name, args)
        case .make: return ToolSwitches.make(name, args)
        case .gdb: return Debuggers.gdb(name, args)
        case .lldb: return Debuggers.lldb(name, args)
        case .sqlite3: return DatabaseShells.sqlite3(name, args)
        case .psql: return DatabaseShells.psql(name, args)
        case .mysql: return DatabaseShells.mysql(name, args)
        case .strace: return Wrappers.strace(name, args, depth: depth)
        case .gpg:
            // Options ending in -program or -viewer name a program gpg runs.
            for a in args.prefix(while: { $0 != "--" }) where a.hasPrefix("--") {
                let opt = a.split(separator: "=", maxSplits: 1).first ?? ""
                if opt.hasSuffix("-program") || opt.hasSuffix("-viewer") || opt == "--exec-path" { return "\(name) \(opt) runs a program" }
            }
            return nil
        case .wget: return ToolSwitches.wget(name, args)
        case .npm: return Switches(refuseLong: ["call", "script-shell", "node-options", "shell"], refuseShort: "c").scan(name, args)
        case .cargo: return ToolSwitches.cargo(name, args)
        case .compiler: return ToolSwitches.compiler(name, args)
        case .su, .runuser, .sudo, .doas, .script, .flock, .watch, .multiplexer, .capsh, .chroot, .shellWhenBare, .parallel:
            return Wrappers.check(r, name: name, args: args, depth: depth)
        case .interpreter(let spec): return spec.check(name, args)
        }
    }

    // MARK: shared option parsing

    /// `--name[=value]` → (name, value); nil for anything else.
    static func long(_ a: String) -> (name: Substring, value: Substring?)? {
        guard a.hasPrefix("--"), a.count > 2 else { return nil }
        let body = a.dropFirst(2)
        guard let eq = body.firstIndex(of: "=") else { return (body, nil) }
        return (body[..<eq], body[body.index(after: eq)...])
    }

    /// The full option of `names` that `given` abbreviates: GNU getopt_long, git's and
    /// popt's parsers accept any unambiguous prefix (`--to-com` is `--to-command`), so a
    /// prefix of two or more characters counts. Ambiguous ones are refused by the program
    /// anyway, so matching them too costs nothing.
    static func abbreviates(_ given: Substring, _ names: [String]) -> String? {
        guard given.count >= 2 else { return nil }
        return names.first { $0.hasPrefix(given) }
    }

    /// The value of the option at the front of `rest` (attached `=value` or the next argument).
    static func value(_ attached: Substring?, _ rest: inout ArraySlice<String>) -> String? {
        if let attached { return String(attached) }
        guard let v = rest.first else { return nil }
        rest = rest.dropFirst()
        return v
    }

    /// True when `s` is one of `allowed` (by basename) followed only by option words: a
    /// plain program choice such as `zstd -T0` or `cat`, not a shell command line.
    static func plainProgram(_ s: String, _ allowed: Set<String>) -> Bool {
        let words = s.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard let first = words.first, allowed.contains(InlineCode.basename(String(first))) else { return false }
        let meta: Set<Character> = [";", "|", "&", "$", "`", "(", ")", "<", ">", "\n", "\r", "'", "\"", "\\", "*", "?", "!", "{", "}"]
        return !s.contains(where: { meta.contains($0) }) && words.dropFirst().allSatisfy { $0.hasPrefix("-") }
    }
}

/// A program's command-running switches, for programs with GNU-style options: long ones
/// matched by unambiguous prefix, short ones anywhere in a cluster (`-avze`).
struct Switches {
    var refuseLong: [String] = []   // runs a command: refused with any value
    var refuseShort = ""
    var fileLong: [String] = []     // value is a program or configuration file: stream-checked
    var fileShort = ""
    var valueLong: [String] = []    // takes a separate value (not itself checked)
    var valueShort = ""

    func scan(_ name: String, _ args: ArraySlice<String>) -> String? {
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "--" { return nil }
            if let (opt, attached) = CommandRunners.long(a) {
                if let full = CommandRunners.abbreviates(opt, refuseLong) { return "\(name) --\(full) runs a command" }
                if CommandRunners.abbreviates(opt, fileLong) != nil {
                    if let v = CommandRunners.value(attached, &rest), let why = StreamPath.why(v) { return "\(name) \(a): \(why)" }
                } else if attached == nil, CommandRunners.abbreviates(opt, valueLong) != nil {
                    rest = rest.dropFirst()
                }
                continue
            }
            guard a.hasPrefix("-"), a.count > 1 else { continue }
            var letters = a.dropFirst()
            while let ch = letters.first {
                letters = letters.dropFirst()
                if refuseShort.contains(ch) { return "\(name) -\(ch) runs a command" }
                let takesFile = fileShort.contains(ch)
                guard takesFile || valueShort.contains(ch) else { continue }
                let v = letters.isEmpty ? rest.first : String(letters)
                if letters.isEmpty { rest = rest.dropFirst() }
                if takesFile, let v, let why = StreamPath.why(v) { return "\(name) -\(ch): \(why)" }
                break
            }
        }
        return nil
    }
}
