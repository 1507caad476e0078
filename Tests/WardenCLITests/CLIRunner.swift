import Foundation
import Testing

/// Runs the built `warden` binary (`.build/debug/warden` next to this package) as a user would.
struct CLIRunner {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var binary: String {
        let env = ProcessInfo.processInfo.environment["WARDEN_BIN"]
        return env ?? packageRoot.appendingPathComponent(".build/debug/warden").path
    }

    let home: String

    init() {
        home = NSTemporaryDirectory() + "warden-cli-\(UUID().uuidString)"
    }

    /// Runs `warden --home HOME args...` (or without --home when `useHomeFlag` is false).
    @discardableResult
    func run(_ args: [String], environment: [String: String] = [:], useHomeFlag: Bool = true) throws -> Result {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            Issue.record("warden binary not found at \(Self.binary); run `swift build` first")
            return Result(status: -1, stdout: "", stderr: "")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = args.first.map { first in useHomeFlag ? [first] + Self.homeArgs(args, home) : args } ?? []
        var env = ["PATH": "/usr/bin:/bin", "HOME": home + "-userhome"]
        env.merge(environment) { _, new in new }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
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
