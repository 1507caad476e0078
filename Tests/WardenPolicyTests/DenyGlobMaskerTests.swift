import Foundation
import Testing
import WardenCore
@testable import WardenPolicy
import WardenHome

@Suite struct DenyGlobMaskerTests {
    @Test func expandsExistingMatchesOnTheRealFilesystem() throws {
        let root = NSTemporaryDirectory() + "warden-mask-\(UUID().uuidString)"
        let fm = FileManager.default
        defer { try? fm.removeItem(atPath: root) }
        for d in ["ws/src", "ws/.ssh", "ws/deep/a/b/.SSH", "home/u/.aws", "other"] {
            try fm.createDirectory(atPath: root + "/" + d, withIntermediateDirectories: true)
        }
        for f in ["ws/.env", "ws/src/.env", "ws/src/main.py", "ws/.ssh/id_rsa", "home/u/.aws/credentials", "ws/.envrc"] {
            fm.createFile(atPath: root + "/" + f, contents: Data("x".utf8))
        }
        try fm.createSymbolicLink(atPath: root + "/ws/link.env", withDestinationPath: "/etc/passwd")
        try fm.createSymbolicLink(atPath: root + "/ws/.env2", withDestinationPath: root + "/home")
        let globs = try ["**/.ssh/**", "**/.env", "**/*.env", root.dropFirst().isEmpty ? "/x" : "\(root)/home/*/.aws/**"].map { try PathGlob($0) }
        let masked = try DenyGlobMasker.expand(globs, under: [root + "/ws", root + "/home"])
        #expect(masked == [
            root + "/home/u/.aws", root + "/ws/.env", root + "/ws/.ssh", root + "/ws/deep/a/b/.SSH", root + "/ws/link.env", root + "/ws/src/.env",
        ].sorted())
        // The walk is bounded and fails closed.
        #expect(throws: WardenError.self) { try DenyGlobMasker.expand(globs, under: [root + "/ws"], limit: 3) }
        // No globs, nothing to do; unrelated absolute globs are pruned.
        #expect(try DenyGlobMasker.expand([], under: [root]) == [])
        #expect(try DenyGlobMasker.expand([try PathGlob("/nonexistent/**")], under: [root], limit: 1) == [])
    }
}

@Suite struct GateMaskingTests {
    @Test func gateFillsMaskedPathsFromTheRealTrees() throws {
        let f = try HomeFixture()
        let ws = f.dir + "/ws"
        try FileManager.default.createDirectory(atPath: ws + "/.ssh", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: ws + "/.env", contents: Data("SECRET=1".utf8))
        FileManager.default.createFile(atPath: ws + "/notes.txt", contents: Data("ok".utf8))
        let p = try PolicyLoader.parse("""
            version: 1
            filesystem: {readonly: [/usr], writable: ["\(ws)"], deny: ["**/.ssh/**", "**/.env"]}
            commands: {allow: [ls]}
            budget: {executions: 5, cpu_seconds: 100}
            """)
        let request = ExecutionRequest(tenant: "acme", argv: ["ls"], workingDirectory: ws, paths: [.init("notes.txt")])
        guard case .allowed(_, let c, _) = try f.gate.authorize(request, policy: PreparedPolicy(p, host: LiveHostView()), approvalToken: nil, now: Date()) else {
            Issue.record("expected allowed"); return
        }
        let real = LiveHostView().realPath(ws) ?? ws
        #expect(c.maskedPaths == [real + "/.env", real + "/.ssh"])
        // Naming the secret directly is denied by the decision itself.
        let direct = ExecutionRequest(tenant: "acme", argv: ["ls"], workingDirectory: ws, paths: [.init(".env")])
        guard case .denied(let d) = try f.gate.authorize(direct, policy: PreparedPolicy(p, host: LiveHostView()), approvalToken: nil, now: Date()) else {
            Issue.record("expected denied"); return
        }
        #expect(d.denials.map(\.code) == ["policy.path.denied"])
    }
}
