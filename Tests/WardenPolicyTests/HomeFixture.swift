import Foundation
import Testing
import WardenCore
import WardenHome
import WardenPolicy
import WardenTrust

/// A fresh Warden home with a trust store, the policy store and a gate; the live host's
/// `ls` under a policy that reads /usr.
final class HomeFixture {
    let dir: String
    let home: Home
    let db: WardenDatabase
    let trust: TrustStore
    let store: PolicyStore
    let gate: PolicyGate

    init() throws {
        dir = NSTemporaryDirectory() + "warden-policy-\(UUID().uuidString)"
        home = try Home.open(at: dir)
        db = try WardenDatabase(home: home)
        trust = TrustStore(home: home, db: db)
        store = PolicyStore(db: db)
        gate = PolicyGate(store: store, trust: trust)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    func policy(_ extra: String = "", executions: Int = 100) throws -> Policy {
        try PolicyLoader.parse("""
            version: 1
            name: gated
            filesystem: {readonly: [/usr]}
            commands: {allow: [ls, {program: cat, exposure: [exfiltration]}]}
            limits: {cpu_seconds: 2}
            budget: {executions: \(executions), cpu_seconds: 100000}
            \(extra)
            """)
    }

    func prepared(_ p: Policy) -> PreparedPolicy { PreparedPolicy(p, host: LiveHostView()) }

    func request(_ argv: [String] = ["ls"], tenant: String = "acme", session: String? = nil) -> ExecutionRequest {
        ExecutionRequest(tenant: tenant, session: session, argv: argv, workingDirectory: "/usr")
    }

    func writePolicy(_ text: String) -> String {
        let path = dir + "/policy-\(UUID().uuidString).yaml"
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A binary built by `swift build` in this package (`warden`, `warden-policy-probe`).
    static func binary(_ name: String) -> String? {
        let path = packageRoot.appendingPathComponent(".build/debug/\(name)").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            Issue.record("\(name) not found at \(path); run `swift build` first")
            return nil
        }
        return path
    }

    /// Waits for probe processes and returns their parsed one-line JSON reports.
    static func reports(_ procs: [(Process, Pipe)]) throws -> [JSONValue] {
        try procs.map { p, out in
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
            return try StrictJSONParser.parse(Array(data).filter { $0 != 0x0A })
        }
    }

    /// Starts `binary args` and returns the process with its stdout pipe.
    static func start(_ binary: String, _ args: [String]) throws -> (Process, Pipe) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.standardError
        try p.run()
        return (p, out)
    }
}
