import Foundation
import Testing

/// Egress through `warden run`: a signed `requires.network`, a policy's `network.allow`, the
/// intersection enforced in the run's namespace, and the connections on the ledger and in the
/// CloudEvent, against `AcceptanceTestHost`. Root only (it builds the host).
@Suite(.serialized, .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft")))
final class EgressRunTests {
    let host: AcceptanceTestHost
    var subnet: Int { host.subnet }
    var target: String { host.addr }

    init() throws { host = try AcceptanceTestHost() }
    deinit { host.tearDown() }

    func policy(_ home: AcceptanceHome, allow: [String], mode: String = "enforce") throws -> String {
        let rules = allow.map { "\"\($0)\"" }.joined(separator: ", ")
        return try home.policy(Policies.yaml(extra: "network: {egress: allow, mode: \(mode), allow: [\(rules)]}\n"))
    }

    @Test func declaredAndAllowedConnectsAndEveryConnectionIsRecorded() throws {
        let home = try AcceptanceHome(network: ["\(target):8080"])
        let p = try policy(home, allow: ["198.18.\(subnet).0/24:8080"])
        let ok = try home.run(["connect", target, "8080"], policy: p)
        try home.expectCompleted(ok, stdoutPrefix: "connected to \(target):8080")
        home.expectEvent(ok, type: EnforcementTests.completed)

        // The decision carries the grant; the outcome record and the event carry the connection.
        let decision = try home.record("decision", of: ok, decision: "allow")
        #expect("\(decision)".contains("\(target)/32:8080"), "\(decision)")
        let finished = try home.record("execution.finished", of: ok)
        let report = (finished["details"] as? [String: Any])?["report"] as? [String: Any]
        let conns = (report?["network"] as? [String: Any])?["connections"] as? [[String: Any]] ?? []
        #expect(conns.contains { $0["dst"] as? String == target && $0["port"] as? Int == 8080 && $0["verdict"] as? String == "allowed" },
                "\(finished)")
        let eventNet = (ok.event?["data"] as? [String: Any])?["network"] as? [String: Any]
        #expect((eventNet?["connections"] as? [[String: Any]])?.isEmpty == false, "\(String(describing: ok.event))")

        // The same host's other port (listening) is refused at once, inside the same grant.
        let other = try home.run(["connect", target, "8081"], policy: p)
        #expect(other.verdict == "ran" && other.status != 0, "\(other.process.transcript)")
        #expect(other.stderr.contains("connect"), "\(other.stderr)")
        try home.expectLedgerVerifies()
    }

    @Test func askingForMoreThanThePolicyAllowsIsADenialNamingTheRule() throws {
        let home = try AcceptanceHome(network: ["\(target):8080", "\(target):8081"])
        let p = try policy(home, allow: ["198.18.\(subnet).0/24:8080"])
        let r = try home.run(["connect", target, "8080"], policy: p)
        #expect(r.status == 126 && r.verdict == "denied", "\(r.process.transcript)")
        #expect(r.reasons.contains { $0.contains("policy.network.denied") && $0.contains("\(target)/32:8081") }, "\(r.reasons)")
        let rec = try home.record("decision", of: r, decision: "deny")
        #expect("\(rec)".contains("\(target)/32:8081"), "\(rec)")
        #expect(try home.records(of: r).allSatisfy { $0["event"] as? String != "execution.started" }, "nothing ran")

        // Control: a manifest within the policy runs.
        let narrow = try AcceptanceHome(network: ["\(target):8080"])
        try narrow.expectCompleted(try narrow.run(["connect", target, "8080"], policy: try policy(narrow, allow: ["198.18.\(subnet).0/24:8080"])))
    }

    @Test func aToolThatDeclaresNoNetworkGetsNone() throws {
        let home = try AcceptanceHome()
        let r = try home.run(["connect", target, "8080"], policy: try policy(home, allow: ["198.18.\(subnet).0/24:8080"]))
        #expect(r.verdict == "ran" && r.status != 0, "no network was granted: \(r.process.transcript)")
        try home.expectCompleted(try home.run(["greet", "x"], policy: try policy(home, allow: ["198.18.\(subnet).0/24:8080"])))
    }

    @Test func auditOnlyRefusesNothingAndRecordsWhatItWouldHave() throws {
        let home = try AcceptanceHome()
        let p = try policy(home, allow: ["198.18.\(subnet).0/24:8080"], mode: "audit-only")
        let r = try home.run(["connect", target, "8081"], policy: p)
        try home.expectCompleted(r, stdoutPrefix: "connected to \(target):8081")
        let net = (r.event?["data"] as? [String: Any])?["network"] as? [String: Any]
        let conns = net?["connections"] as? [[String: Any]] ?? []
        #expect(conns.contains { $0["port"] as? Int == 8081 && $0["verdict"] as? String == "audit" }, "\(String(describing: net))")
    }

    @Test func aListedUDPRuleCarriesDatagramsAndItsOtherPortsStayRefused() throws {
        let home = try AcceptanceHome(network: ["\(target):9999/udp"])
        let p = try policy(home, allow: ["198.18.\(subnet).0/24:9998-9999/udp"])
        let ok = try home.run(["udp", target, "9999"], policy: p)
        try home.expectCompleted(ok, stdoutPrefix: "udp reply from \(target):9999: echo ping")
        let finished = try home.record("execution.finished", of: ok)
        let report = (finished["details"] as? [String: Any])?["report"] as? [String: Any]
        let conns = (report?["network"] as? [String: Any])?["connections"] as? [[String: Any]] ?? []
        #expect(conns.contains { $0["proto"] as? String == "udp" && $0["port"] as? Int == 9999 && $0["verdict"] as? String == "allowed" },
                "\(finished)")
        // 9998 is in the policy but not in what the tool declared: the grant is the intersection.
        let other = try home.run(["udp", target, "9998"], policy: p)
        #expect(other.verdict == "ran" && other.status != 0 && other.stderr.contains("udp"), "\(other.process.transcript)")
        // A TCP connection to the granted UDP port is no part of the grant.
        let tcp = try home.run(["connect", target, "9999"], policy: p)
        #expect(tcp.verdict == "ran" && tcp.status != 0, "\(tcp.process.transcript)")
        try home.expectLedgerVerifies()
    }

    /// The drift monitor through `warden run`: a rule added to a live run's namespace kills it,
    /// and the ledger says why (`network.drift`).
    @Test func aRuleChangedFromOutsideKillsTheRunAndIsRecorded() throws {
        let home = try AcceptanceHome(network: ["\(target):8080"])
        let p = try policy(home, allow: ["198.18.\(subnet).0/24:8080"])
        let tag = "drift-\(UUID().uuidString.prefix(8))"
        final class Box: @unchecked Sendable {
            let home: AcceptanceHome
            var run: RunResult?
            var error: Error?
            init(_ home: AcceptanceHome) { self.home = home }
        }
        let box = Box(home)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            do { box.run = try box.home.run(["hold", "20", tag], policy: p) } catch { box.error = error }
            done.signal()
        }
        var pid: Int32?
        let deadline = Date().addingTimeInterval(20)
        while pid == nil && Date() < deadline {
            pid = Self.process(withArgument: tag)
            usleep(50_000)
        }
        #expect(pid != nil, "the tool never started")
        if let pid {
            usleep(300_000)
            let change = try WardenProcess.exec("/usr/bin/nsenter", ["-t", String(pid), "-n", "/usr/sbin/nft", "insert", "rule", "inet",
                                                                    "warden", "filter_out", "accept"], cwd: "/", environment: [:])
            #expect(change.status == 0, "the test could change the rules: \(change.transcript)")
        }
        done.wait()
        guard let r = box.run else { Issue.record("warden run failed: \(String(describing: box.error))"); return }
        #expect(r.verdict == "ran" && r.status == 137, "\(r.process.transcript)")
        let drift = try home.record("network.drift", of: r)
        #expect("\(drift)".contains("changed from outside Warden"), "\(drift)")
        try home.expectLedgerVerifies()
    }

    /// The pid of the sandboxed tool (`hello hold N TAG`), not of `warden run` whose argv holds the tag too.
    static func process(withArgument argument: String) -> Int32? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for e in entries {
            guard let pid = Int32(e), let data = FileManager.default.contents(atPath: "/proc/\(e)/cmdline") else { continue }
            let argv = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if argv.count >= 4, argv[1] == "hold", argv.last == argument { return pid }
        }
        return nil
    }
}
