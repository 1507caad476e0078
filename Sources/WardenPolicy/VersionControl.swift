/// git, hg and svn. Configuration given on the command line is refused unless its key is in
/// a short list of keys whose values are never commands: an allowlist, because the keys that
/// name commands are many and grow (`alias.*` `!cmd`, `core.pager`, `core.sshCommand`,
/// `core.editor`, `core.hooksPath`, `core.fsmonitor`, `diff.*.textconv`, `filter.*`,
/// `credential.helper`, `gpg.program`, `pager.*`, `include.path`, `protocol.ext.allow` ...).
/// Subcommand switches that run commands are refused too. Configuration in the repository's
/// files is not inline code (it is a file, like a script) and what it starts is left to the
/// exec allowlist.
enum VersionControl {
    static let safeGitKeys: Set<String> = [
        "user.name", "user.email", "user.useconfigonly", "author.name", "author.email", "committer.name", "committer.email",
        "core.quotepath", "core.autocrlf", "core.eol", "core.safecrlf", "core.filemode", "core.ignorecase", "core.abbrev",
        "core.precomposeunicode", "init.defaultbranch", "pull.rebase", "pull.ff", "push.default", "push.autosetupremote",
        "fetch.prune", "merge.conflictstyle", "rebase.autosquash", "rebase.autostash", "log.date", "log.decorate",
        "log.abbrevcommit", "log.showroot", "diff.algorithm", "diff.renames", "diff.context", "diff.noprefix",
        "diff.mnemonicprefix", "diff.relative", "diff.colormoved", "status.short", "status.branch", "status.showuntrackedfiles",
        "gc.auto", "maintenance.auto", "protocol.version", "i18n.commitencoding", "i18n.logoutputencoding", "tag.sort",
        "branch.sort", "column.ui",
    ]
    static let safeGitPrefixes = ["color.", "advice."]

    /// Why `-c key=value` (or a bare `key`) is refused, or nil for a safe key.
    static func gitKey(_ name: String, _ kv: String) -> String? {
        let key = String(kv.prefix(while: { $0 != "=" })).lowercased()
        if safeGitKeys.contains(key) || safeGitPrefixes.contains(where: { key.hasPrefix($0) }) { return nil }
        return "\(name) -c \(key.prefix(40)): command-line configuration outside the safe keys can run commands"
    }

    /// Subcommand → long options (abbreviations accepted) and short letters that run commands.
    static let gitSwitches: [String: (long: [String], short: String)] = [
        "clone": (["upload-pack", "template"], "u"), "init": (["template"], ""),
        "fetch": (["upload-pack"], ""), "pull": (["upload-pack"], ""), "ls-remote": (["upload-pack", "exec"], ""),
        "push": (["receive-pack", "exec"], ""), "archive": (["exec"], ""), "rebase": (["exec"], "x"),
        "difftool": (["extcmd"], "x"), "daemon": (["access-hook"], ""),
        "send-email": (["to-cmd", "cc-cmd", "header-cmd", "sendmail-cmd", "smtp-server"], ""),
        "filter-branch": (["setup", "env-filter", "tree-filter", "index-filter", "parent-filter", "msg-filter", "commit-filter", "tag-name-filter"], ""),
    ]

    static func git(_ name: String, _ args: ArraySlice<String>, depth: Int) -> String? {
        var rest = args
        // Global options (exact names: git parses these by hand).
        while let a = rest.first, a.hasPrefix("-") {
            rest = rest.dropFirst()
            if a == "-c" || a == "--config-env" {
                guard let kv = rest.first else { return nil }
                rest = rest.dropFirst()
                if let r = gitKey(name, kv) { return r }
            } else if a.hasPrefix("--config-env=") {
                if let r = gitKey(name, String(a.dropFirst("--config-env=".count))) { return r }
            } else if a.hasPrefix("-c") {
                if let r = gitKey(name, String(a.dropFirst(2))) { return r }
            } else if ["-C", "--git-dir", "--work-tree", "--namespace", "--super-prefix", "--attr-source", "--list-cmds"].contains(a) {
                rest = rest.dropFirst()
            }
        }
        for a in rest where a.hasPrefix("ext::") { return "\(name) \(a.prefix(30)): the ext transport runs a command" }
        guard let sub = rest.first else { return nil }
        let subArgs = rest.dropFirst().prefix(while: { $0 != "--" })
        switch sub {
        case "submodule" where subArgs.contains("foreach"): return "\(name) submodule foreach runs a shell command"
        case "bisect" where subArgs.contains("run"): return "\(name) bisect run runs a command"
        case "instaweb": return "\(name) instaweb starts a web server and browser command"
        case "for-each-repo":
            // `git for-each-repo --config=KEY <git arguments>`: the rest is a git command line.
            let inner = subArgs.drop(while: { $0.hasPrefix("--config") })
            return git(name, inner, depth: depth + 1)
        case "config": return gitConfig(name, subArgs)
        case "grep":
            for a in subArgs {
                if a.hasPrefix("--open-files-in-pager="), a.count > "--open-files-in-pager=".count { return "\(name) grep \(a.prefix(40)) runs a pager command" }
                if a.hasPrefix("-"), !a.hasPrefix("--"), let o = a.firstIndex(of: "O"), a.index(after: o) < a.endIndex {
                    return "\(name) grep \(a.prefix(30)) runs a pager command"
                }
            }
            return nil
        default: break
        }
        var it = subArgs
        while let a = it.first {
            it = it.dropFirst()
            if sub == "clone", a == "-c" || a == "--config" || a.hasPrefix("--config=") || (a.hasPrefix("-c") && !a.hasPrefix("--")) {
                let kv = a.hasPrefix("--config=") ? String(a.dropFirst("--config=".count)) : a.count > 2 && !a.hasPrefix("--") ? String(a.dropFirst(2)) : it.first ?? ""
                if a == "-c" || a == "--config" { it = it.dropFirst() }
                if let r = gitKey(name, kv) { return r }
                continue
            }
            guard let sw = gitSwitches[sub] else { continue }
            // An exact option wins over an abbreviation: send-email's `--to` and `--cc` are
            // addresses, not `--to-cmd`.
            if let (opt, _) = CommandRunners.long(a), !(sub == "send-email" && ["to", "cc", "bcc"].contains(opt)),
               let full = CommandRunners.abbreviates(opt, sw.long) {
                return "\(name) \(sub) --\(full) runs a command"
            }
            if a.hasPrefix("-"), !a.hasPrefix("--"), let ch = a.dropFirst().first(where: { sw.short.contains($0) }) {
                return "\(name) \(sub) -\(ch) runs a command"
            }
        }
        return nil
    }

    /// `git config` that sets a key outside the safe list stores a command for later: the
    /// value is command-line text that git will run, so it counts as inline code too.
    private static func gitConfig(_ name: String, _ args: ArraySlice<String>) -> String? {
        let readOnly: Set<String> = ["--get", "--get-all", "--get-regexp", "--get-urlmatch", "--get-color", "--get-colorbool", "-l", "--list",
                                     "--unset", "--unset-all", "--remove-section", "--rename-section", "-e", "--edit", "--show-origin", "--name-only"]
        let valued: Set<String> = ["-f", "--file", "--blob", "--type", "--default", "--comment", "--value", "-t"]
        var operands: [String] = []
        var setting = false
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if readOnly.contains(a) { return nil }
            if a == "--add" || a == "--replace-all" { setting = true; continue }
            if valued.contains(a) { rest = rest.dropFirst(); continue }
            if a.hasPrefix("-") { continue }
            operands.append(a)
        }
        var key: String?
        switch operands.first {
        case "set": key = operands.dropFirst().first { !$0.hasPrefix("-") }
        case "get", "list", "unset", "edit", "rename-section", "remove-section": return nil
        default: if operands.count >= 2 || setting { key = operands.first }
        }
        guard let key else { return nil }
        return gitKey(name, key).map { _ in "\(name) config \(key.prefix(40)): stores configuration outside the safe keys, which can run commands" }
    }

    static let safeHgKeys: Set<String> = ["ui.username", "ui.color", "ui.paginate", "ui.quiet", "ui.verbose", "ui.formatted",
                                          "diff.git", "diff.nodates", "diff.showfunc", "diff.unified"]

    static func hg(_ name: String, _ args: ArraySlice<String>) -> String? {
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "--" { return nil }
            guard let (opt, attached) = CommandRunners.long(a) else { continue }
            if opt == "debugger" { return "\(name) --debugger reads debugger commands from stdin" }  // `--debug` is another option
            guard CommandRunners.abbreviates(opt, ["config"]) != nil, opt.count >= 4 else { continue }
            let kv = CommandRunners.value(attached, &rest) ?? ""
            let key = kv.prefix(while: { $0 != "=" }).lowercased()
            if !(safeHgKeys.contains(key) || key.hasPrefix("color.")) {
                return "\(name) --config \(key.prefix(40)): command-line configuration outside the safe keys can run commands"
            }
        }
        return nil
    }

    /// svn: `--config-option FILE:SECTION:OPTION=VALUE` in the sections whose options are
    /// commands (`helpers`, `tunnels`), and the `--*-cmd` switches.
    static func svn(_ name: String, _ args: ArraySlice<String>) -> String? {
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "--" { return nil }
            guard let (opt, attached) = CommandRunners.long(a) else { continue }
            if let full = CommandRunners.abbreviates(opt, ["diff-cmd", "diff3-cmd", "editor-cmd"]) { return "\(name) --\(full) runs a command" }
            if CommandRunners.abbreviates(opt, ["config-option"]) != nil, opt.count >= 8 {
                let v = (CommandRunners.value(attached, &rest) ?? "").lowercased()
                let parts = v.split(separator: ":", maxSplits: 2)
                if parts.count < 2 || parts[1] == "helpers" || parts[1] == "tunnels" {
                    return "\(name) --config-option \(v.prefix(40)) can run commands"
                }
            }
        }
        return nil
    }
}
