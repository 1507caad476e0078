import Foundation
import Testing

/// Runs the built `warden` binary (`.build/debug/warden` of this package) as a user would:
/// a real process, a real home, real files. Output goes to files so a large stderr can never
/// block a pipe while stdout is being read.
enum WardenProcess {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        /// Both streams, for failure messages.
        var transcript: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
    }

    /// Repository root: three levels up from Tests/WardenAcceptanceTests/WardenProcess.swift.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var binary: String {
        ProcessInfo.processInfo.environment["WARDEN_BIN"] ?? packageRoot.appendingPathComponent(".build/debug/warden").path
    }

    /// Runs `executable args...` in `cwd`; fails the test clearly when the binary is missing.
    static func exec(_ executable: String, _ args: [String], cwd: String, environment: [String: String]) throws -> Result {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            Issue.record("\(executable) not found or not executable; run `swift build` first")
            return Result(status: -1, stdout: "", stderr: "")
        }
        let scratch = NSTemporaryDirectory() + "warden-acc-out-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: scratch + ".out", contents: nil),
              FileManager.default.createFile(atPath: scratch + ".err", contents: nil) else {
            Issue.record("cannot create output files under \(NSTemporaryDirectory())")
            return Result(status: -1, stdout: "", stderr: "")
        }
        defer {
            try? FileManager.default.removeItem(atPath: scratch + ".out")
            try? FileManager.default.removeItem(atPath: scratch + ".err")
        }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + ".out"))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + ".err"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        p.environment = environment
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try out.close()
        try err.close()
        let o = FileManager.default.contents(atPath: scratch + ".out") ?? Data()
        let e = FileManager.default.contents(atPath: scratch + ".err") ?? Data()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}
