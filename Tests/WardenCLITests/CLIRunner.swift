import Foundation
import Testing
import WardenTestSupport

/// Runs the built `warden` binary (`.build/debug/warden` next to this package) as a user would.
struct CLIRunner {
    typealias Result = TestProcess.Result

    let home: String

    init() {
        home = NSTemporaryDirectory() + "warden-cli-\(UUID().uuidString)"
    }

    /// Runs `warden --home HOME args...` (or without --home when `useHomeFlag` is false).
    @discardableResult
    func run(_ args: [String], environment: [String: String] = [:], useHomeFlag: Bool = true) throws -> Result {
        var env = ["PATH": "/usr/bin:/bin", "HOME": home + "-userhome"]
        env.merge(environment) { _, new in new }
        let argv = args.first.map { first in useHomeFlag ? [first] + Self.homeArgs(args, home) : args } ?? []
        return try TestProcess.run(TestProcess.wardenBinary, argv, environment: env)
    }

    /// Inserts `--home` after the subcommand path (the leading words without dashes).
    static func homeArgs(_ args: [String], _ home: String) -> [String] {
        var rest = Array(args.dropFirst())
        var i = 0
        while i < rest.count, !rest[i].hasPrefix("-"), ["generate", "trust", "revoke", "list", "export", "sign", "verify", "add", "authorize"].contains(rest[i]) { i += 1 }
        rest.insert(contentsOf: ["--home", home], at: i)
        return rest
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: home) }
}
