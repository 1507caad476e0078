import Foundation
import Testing
import WardenTestSupport

/// `warden serve`: `warden run` handed to a resident server must behave exactly like a local
/// run (same checks, same records, same output), see changes to the home at once, and never
/// let a run outlive a client that went away.
@Suite(.serialized) struct ServedRunTests {
    /// A `warden serve` process on the home; stopped (SIGTERM) by `stop()`.
    final class Server {
        let process = Process()
        let log: String
        init(_ h: AcceptanceHome) throws {
            log = h.root + "/serve.log"
            FileManager.default.createFile(atPath: log, contents: nil)
            process.executableURL = URL(fileURLWithPath: WardenProcess.binary)
            process.arguments = ["serve"]
            process.environment = ["PATH": "/usr/bin:/bin", "HOME": h.root + "/userhome", "WARDEN_HOME": h.home]
            process.currentDirectoryURL = URL(fileURLWithPath: h.root)
            let out = FileHandle(forWritingAtPath: log)
            process.standardOutput = out
            process.standardError = out
            try process.run()
            let socket = h.home + "/warden.sock"
            for _ in 0..<200 where !FileManager.default.fileExists(atPath: socket) { Thread.sleep(forTimeInterval: 0.025) }
            #expect(FileManager.default.fileExists(atPath: socket), "server did not start: \(logText)")
        }
        var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        func stop() -> Int32 {
            process.terminate()
            process.waitUntilExit()
            return process.terminationStatus
        }
        deinit { if process.isRunning { process.terminate(); process.waitUntilExit() } }
    }

    /// Pids whose command line (arguments joined by spaces) contains `text`, from /proc.
    static func running(_ text: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let words = raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return words.joined(separator: " ").contains(text) && pid != getpid()
        }
    }

    /// `warden run ARGS` on `h`'s home, started and left running.
    static func startClient(_ h: AcceptanceHome, _ args: [String], stdout: Any = FileHandle.nullDevice,
                            stderr: Any = FileHandle.nullDevice) throws -> Process {
        let c = Process()
        c.executableURL = URL(fileURLWithPath: WardenProcess.binary)
        c.arguments = ["run"] + args
        c.environment = ["PATH": "/usr/bin:/bin", "HOME": h.root + "/userhome", "WARDEN_HOME": h.home]
        c.currentDirectoryURL = URL(fileURLWithPath: h.work)
        c.standardOutput = stdout
        c.standardError = stderr
        try c.run()
        return c
    }

    /// The newest ledger record of `event`, waiting up to 10 s for it.
    static func awaitRecord(_ h: AcceptanceHome, _ event: String) throws -> [String: Any]? {
        for _ in 0..<400 {
            if let r = try h.ledger().last(where: { $0["event"] as? String == event }) { return r }
            Thread.sleep(forTimeInterval: 0.025)
        }
        return nil
    }

    @Test func servedRunMatchesLocalRunAndIsRecorded() throws {
        let h = try AcceptanceHome()
        let p = try h.policy(Policies.yaml())
        let local = try h.run(["greet", "served"], policy: p)
        let server = try Server(h)
        let served = try h.run(["greet", "served"], policy: p)
        #expect(served.status == 0, "\(served.transcript)")
        #expect(served.report["served"] as? Bool == true, "the run did not go through the server: \(served.transcript)")
        #expect(local.report["served"] == nil)
        // Same verdict, output, records and event contract as the local run.
        #expect(served.verdict == local.verdict)
        #expect(served.stdout == local.stdout)
        #expect(served.stdout.hasPrefix("hello, served"))
        #expect(served.auditSeqs.count == local.auditSeqs.count)
        _ = try h.record("execution.finished", of: served, decision: "allow")
        h.expectEvent(served, type: "dev.warden.execution.completed.v1")
        // Streaming mode: the tool writes straight to the client's own stdout.
        let streamed = try h.warden(["run", "hello", "--tenant", "acme", "--policy", p, "--", "greet", "stream"])
        #expect(streamed.status == 0, "\(streamed.transcript)")
        #expect(streamed.stdout == "hello, stream (uid 1000)\n", "\(streamed.transcript)")
        #expect(streamed.stderr.contains("exit 0 (audit seq"), "\(streamed.transcript)")
        #expect(server.stop() == 0, "serve did not stop cleanly: \(server.logText)")
        #expect(!FileManager.default.fileExists(atPath: h.home + "/warden.sock"), "socket left behind")
        // The server recorded that it opened the ledger; everything verifies.
        #expect(try h.ledger().contains { $0["event"] as? String == "ledger.opened" })
        try h.expectLedgerVerifies()
        // With the server gone, runs are local again.
        let after = try h.run(["greet", "again"], policy: p)
        #expect(after.status == 0 && after.report["served"] == nil, "\(after.transcript)")
    }

    @Test func servedDenialsAreTheLocalDenials() throws {
        let h = try AcceptanceHome()
        let server = try Server(h)
        defer { _ = server.stop() }
        // Policy: an exhausted budget → denied at decision, 126, recorded.
        let p = try h.policy(Policies.yaml())
        let none = try h.policy(Policies.yaml(budget: "{executions: 0, cpu_seconds: 100}"))
        let denied = try h.run(["greet", "x"], policy: none)
        #expect(denied.status == 126, "\(denied.transcript)")
        #expect(denied.verdict == "denied" && denied.report["served"] as? Bool == true, "\(denied.transcript)")
        _ = try h.record("decision", of: denied, decision: "deny")
        // Admission: a tenant without an authorization.
        let rejected = try h.run(["greet", "x"], policy: p, tenant: "other")
        #expect(rejected.status == 126 && rejected.verdict == "rejected", "\(rejected.transcript)")
        #expect(rejected.errorCode == "authz.missing", "\(rejected.transcript)")
        // A bad policy path: the client's relative path is resolved against the client's directory.
        let missing = try h.warden(["run", "hello", "--tenant", "acme", "--policy", "nope.yaml", "--json", "--", "greet", "x"])
        #expect(missing.status == 126 || missing.status == 125, "\(missing.transcript)")
        #expect(missing.stdout.contains(h.work + "/nope.yaml"), "\(missing.transcript)")
        try h.expectLedgerVerifies()
    }

    /// The approval round trip through the server, with the token read from a file by the
    /// client (`--approval @FILE`) and replay refused.
    @Test func approvalRoundTripThroughTheServer() throws {
        let h = try AcceptanceHome()
        let p = try h.policy(Policies.yaml(extra: Policies.approvals(["write"], approverKid: h.kids["appr"] ?? "")))
        let server = try Server(h)
        defer { _ = server.stop() }
        let target = h.work + "/ws/served.txt"
        let gated = try h.run(["write", target, "x"], policy: p)
        #expect(gated.status == 126 && gated.verdict == "approval_required", "\(gated.transcript)")
        #expect(gated.report["served"] as? Bool == true)
        let rid = try #require(gated.approvalRequestID)
        let (token, _) = try h.approve(rid)
        let tokenFile = h.root + "/token.jws"
        try token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let approved = try h.run(["write", target, "x"], policy: p, approval: "@" + tokenFile)
        #expect(approved.status == 0 && approved.report["served"] as? Bool == true, "\(approved.transcript)")
        #expect(FileManager.default.contents(atPath: target) == Data("x".utf8))
        _ = try h.record("approval.consumed", of: approved, decision: "allow")
        let replayed = try h.run(["write", target, "x"], policy: p, approval: "@" + tokenFile)
        #expect(replayed.status == 126, "\(replayed.transcript)")
        try h.expectLedgerVerifies()
    }

    /// Self-protection holds through the server: the home inside a writable tree is masked, a
    /// policy inside its own writable tree and an `@FILE` approval inside a writable tree are
    /// refused (the token is not spent), and the same approval kept outside is accepted.
    @Test func servedRunsProtectWardensOwnFiles() throws {
        let h = try AcceptanceHome()
        let server = try Server(h)
        defer { _ = server.stop() }
        let outside = try SelfProtectionRunTests.outsidePolicy(Policies.yaml(writable: [h.root]))
        let key = try h.run(["read", h.home + "/keys/runner.pem"], policy: outside)
        #expect(key.report["served"] as? Bool == true && key.status != 0 && !key.stdout.contains("PRIVATE KEY"), "\(key.transcript)")
        let inside = try h.run(["greet", "x"], policy: try h.policy(Policies.yaml(writable: [h.root])))
        #expect(inside.status == 126 && inside.errorCode == "policy.file_writable", "\(inside.transcript)")

        let p = try SelfProtectionRunTests.outsidePolicy(Policies.yaml(extra: Policies.approvals(["write"], approverKid: h.kids["appr"] ?? "")))
        let target = h.work + "/ws/approved.txt"
        let gated = try h.run(["write", target, "x"], policy: p)
        let rid = try #require(gated.approvalRequestID)
        let (token, _) = try h.approve(rid)
        let planted = h.work + "/ws/token.jws"
        try token.write(toFile: planted, atomically: true, encoding: .utf8)
        let refused = try h.run(["write", target, "x"], policy: p, approval: "@" + planted)
        #expect(refused.status == 126 && refused.errorCode == "run.input_writable", "\(refused.transcript)")
        let kept = h.root + "/token.jws"
        try token.write(toFile: kept, atomically: true, encoding: .utf8)
        let approved = try h.run(["write", target, "x"], policy: p, approval: "@" + kept)
        #expect(approved.status == 0, "\(approved.transcript)")
        try h.expectLedgerVerifies()
    }

    /// The server remembers signature checks (`SignatureMemo`), never key status: revoking the
    /// publisher's or the authorizer's key refuses the very next run through a warm server.
    @Test(arguments: [("pub", "manifest"), ("auth", "authorization")])
    func serverSeesKeyRevocationsImmediately(key: String, what: String) throws {
        let h = try AcceptanceHome()
        let p = try h.policy(Policies.yaml())
        let server = try Server(h)
        defer { _ = server.stop() }
        for _ in 0..<2 {
            let warm = try h.run(["greet", "x"], policy: p)
            #expect(warm.status == 0 && warm.report["served"] as? Bool == true, "\(warm.transcript)")
        }
        try h.must(["key", "revoke", key])
        let after = try h.run(["greet", "x"], policy: p)
        #expect(after.verdict == "rejected" && after.status != 0, "a run whose \(what) key is revoked still ran: \(after.transcript)")
        #expect(after.report["served"] as? Bool == true)
    }

    /// A plain run (no `--json`, no `--events`) builds no event nobody asked for, but still
    /// delivers it to a configured sink, locally and through the server.
    @Test func plainRunsStillFeedConfiguredSinks() throws {
        let h = try AcceptanceHome()
        let p = try h.policy(Policies.yaml())
        let sinkFile = h.root + "/events.jsonl"
        try #"{"events": {"sinks": [{"type": "file", "path": "\#(sinkFile)"}]}}"#.write(toFile: h.home + "/config.json", atomically: true, encoding: .utf8)
        let local = try h.warden(["run", "hello", "--local", "--tenant", "acme", "--policy", p, "--", "greet", "local"])
        #expect(local.status == 0, "\(local.transcript)")
        let server = try Server(h)
        defer { _ = server.stop() }
        let served = try h.warden(["run", "hello", "--tenant", "acme", "--policy", p, "--", "greet", "served"])
        #expect(served.status == 0, "\(served.transcript)")
        _ = server.stop()
        let lines = try String(contentsOfFile: sinkFile, encoding: .utf8).split(separator: "\n")
        let stdouts = lines.compactMap { (AcceptanceHome.object(String($0))?["data"] as? [String: Any])?["stdout"] as? String }
        #expect(stdouts.contains("hello, local (uid 1000)\n") && stdouts.contains("hello, served (uid 1000)\n"), "sink got: \(lines)")
    }

    @Test func serverSeesRevocationsImmediately() throws {
        let h = try AcceptanceHome()
        let p = try h.policy(Policies.yaml())
        let server = try Server(h)
        defer { _ = server.stop() }
        let before = try h.run(["greet", "x"], policy: p)
        #expect(before.status == 0, "\(before.transcript)")
        try h.must(["tool", "revoke", "hello@1.0.0"])
        let after = try h.run(["greet", "x"], policy: p)
        #expect(after.verdict == "rejected" && after.status != 0, "a revoked tool still ran through the server: \(after.transcript)")
        #expect(after.report["served"] as? Bool == true)
        // Exactly what a local run says.
        let local = try h.warden(["run", "hello", "--local", "--tenant", "acme", "--policy", p, "--json", "--", "greet", "x"])
        let localReport = AcceptanceHome.object(local.stdout) ?? [:]
        #expect(local.status == after.status)
        #expect((localReport["error"] as? [String: Any])?["code"] as? String == after.errorCode, "\(local.transcript)")
    }

    /// The server keeps verified artifact bytes between runs (sealed memfd); a stored blob
    /// modified after that is still caught on the next run, as in a local run.
    @Test func warmServerStillCatchesATamperedBlob() throws {
        let h = try AcceptanceHome()
        let p = try h.policy(Policies.yaml())
        let server = try Server(h)
        defer { _ = server.stop() }
        // Past the 2 s racy margin after `tool add`, so the second run is served from the cache.
        Thread.sleep(forTimeInterval: 2.2)
        for word in ["one", "two"] {
            let ok = try h.run(["greet", word], policy: p)
            #expect(ok.status == 0 && ok.report["served"] as? Bool == true, "\(ok.transcript)")
        }
        #expect(chmod(h.blobPath, 0o644) == 0)
        var bytes = try #require(FileManager.default.contents(atPath: h.blobPath))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: h.blobPath))
        let bad = try h.run(["greet", "tampered"], policy: p)
        try h.expectRejected(bad, code: "artifact.tampered")
        #expect(bad.report["served"] as? Bool == true)
        try h.expectLedgerVerifies()
    }

    @Test func clientThatGoesAwayTakesItsRunWithIt() throws {
        let h = try AcceptanceHome()
        let p = try h.policy(Policies.yaml(commands: ["sleep"]))
        let server = try Server(h)
        defer { _ = server.stop() }
        let client = try Self.startClient(h, ["hello", "--tenant", "acme", "--policy", p, "--", "exec", "/usr/bin/sleep", "41"])
        // Wait until the server has started the tool (its start is recorded before it runs).
        #expect(try Self.awaitRecord(h, "execution.started") != nil, "the served run never started: \(server.logText)")
        Thread.sleep(forTimeInterval: 0.3)
        kill(client.processIdentifier, SIGKILL)
        client.waitUntilExit()
        // The server kills the sandbox and records the outcome.
        let finished = try Self.awaitRecord(h, "execution.finished")
        let report = (finished?["details"] as? [String: Any])?["report"] as? [String: Any]
        #expect(report?["limits_hit"] as? [String] == ["cancelled"], "outcome: \(String(describing: finished))")
        #expect(report?["signal"] as? Int == 9, "outcome: \(String(describing: finished))")
        #expect(Self.running("sleep 41").isEmpty, "the tool outlived its client")
        try h.expectLedgerVerifies()
    }

    /// Concurrent clients: each gets its own run, output and records; the ledger stays whole.
    @Test func concurrentClientsAreServedIndependently() throws {
        let h = try AcceptanceHome()
        let p = try h.policy(Policies.yaml())
        let server = try Server(h)
        defer { _ = server.stop() }
        let n = 6
        var clients: [(Process, Pipe)] = []
        for i in 0..<n {
            let out = Pipe()
            let c = try Self.startClient(h, ["hello", "--tenant", "acme", "--policy", p, "--", "greet", "client\(i)"], stdout: out)
            clients.append((c, out))
        }
        for (i, (c, out)) in clients.enumerated() {
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            c.waitUntilExit()
            #expect(c.terminationStatus == 0, "client \(i): \(text)")
            #expect(text == "hello, client\(i) (uid 1000)\n", "client \(i) got someone else's output: \(text)")
        }
        let finished = try h.ledger().filter { $0["event"] as? String == "execution.finished" }
        #expect(finished.count == n)
        try h.expectLedgerVerifies()
    }

    /// A server killed mid-run: the client says so (125, `serve.lost`) and the sandbox dies
    /// with the server (its lifeline), leaving nothing behind.
    @Test func serverKilledMidRunLeavesNothingRunning() throws {
        let h = try AcceptanceHome()
        let p = try h.policy(Policies.yaml(commands: ["sleep"]))
        let server = try Server(h)
        let err = Pipe()
        let client = try Self.startClient(h, ["hello", "--tenant", "acme", "--policy", p, "--", "exec", "/usr/bin/sleep", "43"], stderr: err)
        #expect(try Self.awaitRecord(h, "execution.started") != nil, "the served run never started: \(server.logText)")
        Thread.sleep(forTimeInterval: 0.3)
        kill(server.process.processIdentifier, SIGKILL)
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        client.waitUntilExit()
        #expect(client.terminationStatus == 125, "client: \(text)")
        #expect(text.contains("[serve.lost]"), "client: \(text)")
        var left = true
        for _ in 0..<100 where left {
            left = !Self.running("sleep 43").isEmpty
            if left { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(!left, "the tool outlived the server")
        // What was recorded still verifies (the outcome record is missing: the server died).
        try h.expectLedgerVerifies()
    }

    @Test func secondServerOnTheSameHomeIsRefused() throws {
        let h = try AcceptanceHome()
        let server = try Server(h)
        defer { _ = server.stop() }
        let second = try h.warden(["serve"])
        #expect(second.status == 125, "\(second.transcript)")
        #expect(second.stderr.contains("[serve.already_running]"), "\(second.transcript)")
        // The first one still answers.
        let p = try h.policy(Policies.yaml())
        let r = try h.run(["greet", "x"], policy: p)
        #expect(r.status == 0 && r.report["served"] as? Bool == true, "\(r.transcript)")
    }

    @Test func localFlagBypassesTheServer() throws {
        let h = try AcceptanceHome()
        let server = try Server(h)
        defer { _ = server.stop() }
        let p = try h.policy(Policies.yaml())
        let r = try h.warden(["run", "hello", "--local", "--tenant", "acme", "--policy", p, "--json", "--", "greet", "x"])
        #expect(r.status == 0, "\(r.transcript)")
        let report = AcceptanceHome.object(r.stdout) ?? [:]
        #expect(report["served"] == nil && (report["stages_us"] as? [String: Any])?["open"] != nil, "\(r.transcript)")
    }
}
