/// ssh, scp, sftp and rsync. A remote command runs on the remote host by design and is left
/// to the network policy; what runs *here* is refused: ssh_config options that are local
/// commands (`ProxyCommand`, `LocalCommand`, `KnownHostsCommand`, any `*Command` but
/// `RemoteCommand`, and `Match`), a config file that is a stream, scp/sftp `-S`/`-D`
/// programs, sftp batch commands from stdin (`!` runs a local shell), and an rsync remote
/// shell that is not plain `ssh`.
enum RemoteShells {
    static func ssh(_ name: String, _ args: ArraySlice<String>) -> String? {
        scan(name, args, values: "BbcDEeFIiJLlmOoPpQRSWw")
    }

    static func scp(_ name: String, _ args: ArraySlice<String>) -> String? {
        let sftp = name == "sftp"
        if let r = scan(name, args, values: sftp ? "BbcDFiJloPRSs" : "cDFiJloPS", programs: sftp ? "SD" : "S") { return r }
        if sftp && !args.contains(where: { $0.hasPrefix("-b") }) {
            return "\(name) without -b reads commands from stdin, where `!` runs a local shell"
        }
        return nil
    }

    /// Options of an OpenSSH tool. Options may follow the destination, so every argument is
    /// scanned; a remote command that looks like an option is refused only when its value
    /// would be a local command too.
    private static func scan(_ name: String, _ args: ArraySlice<String>, values: String, programs: String = "") -> String? {
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            guard a.hasPrefix("-"), a.count > 1, !a.hasPrefix("--") else { continue }
            var letters = a.dropFirst()
            while let ch = letters.first {
                letters = letters.dropFirst()
                guard values.contains(ch) else { continue }
                let v = letters.isEmpty ? rest.first ?? "" : String(letters)
                if letters.isEmpty { rest = rest.dropFirst() }
                if programs.contains(ch) { return "\(name) -\(ch) runs a local program" }
                if ch == "o", let r = sshOption(name, v) { return r }
                if ch == "F", let why = StreamPath.why(v) { return "\(name) -F: \(why)" }
                if ch == "b", name == "sftp", let why = StreamPath.why(v) { return "\(name) -b: \(why)" }
                break
            }
        }
        return nil
    }

    /// One `-o Key=Value` (or `Key Value`); keys are case-insensitive.
    static func sshOption(_ name: String, _ v: String) -> String? {
        let key = v.prefix(while: { $0 != "=" && $0 != " " && $0 != "\t" }).lowercased()
        if (key.hasSuffix("command") && key != "remotecommand") || key == "match" {
            return "\(name) -o \(key) runs a local command"
        }
        return nil
    }

    static func rsync(_ name: String, _ args: ArraySlice<String>, depth: Int) -> String? {
        var rest = args
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "--" { return nil }
            var rsh: String?
            if let (opt, attached) = CommandRunners.long(a) {
                if CommandRunners.abbreviates(opt, ["rsh"]) != nil { rsh = CommandRunners.value(attached, &rest) ?? "" }
                if CommandRunners.abbreviates(opt, ["config"]) != nil, let v = CommandRunners.value(attached, &rest), let why = StreamPath.why(v) {
                    return "\(name) \(a): \(why)"
                }
            } else if a.hasPrefix("-"), a.count > 1 {
                var letters = a.dropFirst()
                while let ch = letters.first {
                    letters = letters.dropFirst()
                    guard "eBfTM".contains(ch) else { continue }
                    let v = letters.isEmpty ? rest.first ?? "" : String(letters)
                    if letters.isEmpty { rest = rest.dropFirst() }
                    if ch == "e" { rsh = v }
                    break
                }
            }
            guard let rsh else { continue }
            // Only `ssh [options]`: rsync runs the remote shell itself, so anything else is a
            // command line of the caller's choice.
            let meta: Set<Character> = [";", "|", "&", "$", "`", "(", ")", "<", ">", "\n", "\r", "\\"]
            let words = rsh.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let first = words.first, InlineCode.basename(first) == "ssh", !rsh.contains(where: { meta.contains($0) }) else {
                return "\(name) -e \(rsh.prefix(30)): a remote shell other than plain ssh runs a local command"
            }
            if let r = ssh("ssh", ArraySlice(words.dropFirst())) { return "\(name) -e: \(r)" }
        }
        return nil
    }
}
