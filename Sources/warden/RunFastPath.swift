import Foundation
import WardenCore

/// `warden run` without ArgumentParser, for the same reason as `ExecFastPath`: its
/// reflection costs milliseconds per start, a large share of a whole confined run. Accepts
/// exactly the documented forms (`--flag VALUE`, `--flag=VALUE`, flags, one TOOL operand,
/// tool arguments after `--`); anything else (help, unknown or repeated options, a missing
/// TOOL) returns nil and ArgumentParser handles it with its usual messages.
enum RunFastPath {
    /// Runs `warden run` and exits when `arguments` (without the program name) is a plain run call.
    static func runIfApplicable(_ arguments: [String]) async {
        guard arguments.first == "run", let options = parse(arguments.dropFirst()) else { return }
        do {
            Foundation.exit(try await options.execute())
        } catch {
            Terminal.error(error)
            Foundation.exit(error.exitCode)
        }
    }

    static func parse(_ args: ArraySlice<String>) -> RunOptions? {
        var o = RunOptions()
        var tool: String?
        var seen = Set<String>()
        var scan = LongOptionScanner(args)
        loop: while let word = scan.next() {
            switch word {
            case .terminator(let rest):
                o.arguments = rest
                break loop
            case .operand(let arg):
                // The one operand; a second one, or anything like `-h`, goes to ArgumentParser.
                guard tool == nil, !arg.hasPrefix("-") else { return nil }
                tool = arg
            case .option(let name, let inline):
                // ArgumentParser keeps the last of a repeated option; refusing here keeps one reading.
                guard seen.insert(name).inserted else { return nil }
                switch name {
                case "stdin", "events", "json", "local":
                    guard inline == nil else { return nil }
                    switch name {
                    case "stdin": o.stdin = true
                    case "events": o.events = true
                    case "local": o.local = true
                    default: o.json = true
                    }
                case "home", "tenant", "policy", "session", "approval":
                    guard let v = scan.value(inline), !v.hasPrefix("-") else { return nil }
                    switch name {
                    case "home": o.home = v
                    case "tenant": o.tenant = v
                    case "policy": o.policy = v
                    case "session": o.session = v
                    default: o.approval = v
                    }
                default:
                    return nil
                }
            }
        }
        guard let tool else { return nil }
        o.tool = tool
        return o
    }
}
