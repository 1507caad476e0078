import Foundation
import WardenCore

/// `warden exec` without ArgumentParser: in a binary this size, ArgumentParser's reflection
/// (protocol-conformance scans) costs several milliseconds per start, more than the sandbox
/// itself. This parser accepts exactly the documented `--flag VALUE` / `--flag=VALUE` forms
/// before `--`; anything else (help, unknown flags, malformed numbers) returns nil and the
/// normal ArgumentParser path handles it, with its usual errors.
enum ExecFastPath {
    /// Runs `warden exec` when `arguments` (without the program name) is a plain exec call.
    static func runIfApplicable(_ arguments: [String]) {
        guard arguments.first == "exec", let options = parse(arguments.dropFirst()) else { return }
        do {
            try options.execute()
        } catch let error as WardenError {
            Terminal.error(error)
            Foundation.exit(error.exitCode)
        } catch {
            Foundation.exit(WardenExit.usage)
        }
    }

    static func parse(_ args: ArraySlice<String>) -> ExecOptions? {
        var o = ExecOptions()
        var scan = LongOptionScanner(args)
        while let word = scan.next() {
            guard case .option(let name, let inline) = word else {
                guard case .terminator(let rest) = word, !rest.isEmpty else { return nil }
                o.command = rest
                return o
            }
            func value(_ inline: String?) -> String? { scan.value(inline) }
            switch name {
            case "no-stdin", "rlimit-fallback", "json", "tty", "allow-unix-sockets", "allow-jit", "allow-system-writes", "egress-audit":
                guard inline == nil else { return nil }
                switch name {
                case "no-stdin": o.noStdin = true
                case "json": o.json = true
                case "tty": o.tty = true
                case "allow-unix-sockets": o.unixSockets = true
                case "allow-jit": o.allowJIT = true
                case "allow-system-writes": o.allowSystemWrites = true
                case "egress-audit": o.egressAudit = true
                default: o.rlimitFallback = true
                }
            case "ro", "rw", "tmpfs", "allow-exec", "allow-load", "env", "cwd", "net", "home", "unprotect", "egress", "resolver":
                guard let v = value(inline), !v.hasPrefix("-") else { return nil }
                switch name {
                case "ro": o.readOnly.append(v)
                case "rw": o.readWrite.append(v)
                case "tmpfs": o.tmpfs.append(v)
                case "allow-load": o.allowLoad.append(v)
                case "allow-exec": o.allowExec.append(v)
                case "env": o.env.append(v)
                case "cwd": o.cwd = v
                case "home": o.home = v
                case "unprotect": o.unprotect.append(v)
                case "egress": o.egress.append(v)
                case "resolver": o.resolvers.append(v)
                default: o.net = v
                }
            case "timeout":
                guard let v = value(inline), let d = Double(v) else { return nil }
                o.timeout = d
            case "memory", "pids", "cpu", "output-limit", "nofile":
                guard let v = value(inline), let n = Int(v) else { return nil }
                switch name {
                case "memory": o.memory = n
                case "pids": o.pids = n
                case "cpu": o.cpu = n
                case "output-limit": o.outputLimit = n
                default: o.nofile = n
                }
            default:
                return nil
            }
        }
        return nil
    }
}
