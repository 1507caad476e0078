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
        var i = args.startIndex
        func value(_ inline: String?) -> String? {
            if let inline { return inline }
            i += 1
            return i < args.endIndex ? args[i] : nil
        }
        while i < args.endIndex {
            let arg = args[i]
            if arg == "--" {
                o.command = Array(args[(i + 1)...])
                return o.command.isEmpty ? nil : o
            }
            guard arg.hasPrefix("--") else { return nil }
            var name = String(arg.dropFirst(2))
            var inline: String?
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            switch name {
            case "no-stdin", "rlimit-fallback", "json":
                guard inline == nil else { return nil }
                if name == "no-stdin" { o.noStdin = true } else if name == "json" { o.json = true } else { o.rlimitFallback = true }
            case "ro", "rw", "tmpfs", "allow-exec", "env", "cwd", "net":
                guard let v = value(inline), !v.hasPrefix("-") else { return nil }
                switch name {
                case "ro": o.readOnly.append(v)
                case "rw": o.readWrite.append(v)
                case "tmpfs": o.tmpfs.append(v)
                case "allow-exec": o.allowExec.append(v)
                case "env": o.env.append(v)
                case "cwd": o.cwd = v
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
            i += 1
        }
        return nil
    }
}
