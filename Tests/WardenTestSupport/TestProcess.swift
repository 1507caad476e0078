import Foundation

/// Runs a program to completion for a test, the one way every suite does it: stdin from
/// /dev/null, stdout and stderr captured through files (a pipe read one stream at a time can
/// deadlock once the other stream fills its 64 KiB buffer).
public enum TestProcess {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        /// Both streams, for failure messages.
        public var transcript: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
    }

    /// The program is not there (the test fails with this, naming what to build).
    public struct Missing: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "\(path) not found or not executable; run `swift build` first" }
    }

    /// Repository root: three levels up from Tests/WardenTestSupport/TestProcess.swift.
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `warden` binary under test: `$WARDEN_BIN`, else this package's debug build.
    public static var wardenBinary: String {
        ProcessInfo.processInfo.environment["WARDEN_BIN"] ?? packageRoot.appendingPathComponent(".build/debug/warden").path
    }

    /// Runs `executable args...` (in `cwd`, with exactly `environment` when given, else this
    /// process's) and waits for it.
    public static func run(_ executable: String, _ args: [String], cwd: String? = nil,
                           environment: [String: String]? = nil) throws -> Result {
        guard FileManager.default.isExecutableFile(atPath: executable) else { throw Missing(path: executable) }
        let scratch = NSTemporaryDirectory() + "warden-test-out-\(UUID().uuidString)"
        for suffix in [".out", ".err"] where !FileManager.default.createFile(atPath: scratch + suffix, contents: nil) {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: scratch + suffix])
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
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        if let environment { p.environment = environment }
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
