import Foundation
import Testing
import WardenCore

extension SandboxEndToEnd {
/// Egress through `warden exec --egress`: real connections from a real client in the sandbox to
/// a test host in its own network namespace (TestNetwork); each refusal beside an allowed twin.
@Suite("Egress: allowlists, DNS pinning, SNI, drift")
final class EgressTests {
    let net: TestNetwork

    init() throws { net = try TestNetwork() }
    deinit { net.tearDown() }

    /// Refused at once: by Landlock (port, EACCES), the socket filter (EPERM) or nftables
    /// (reset: ECONNREFUSED); never a timeout.
    func refused(_ result: String?) -> Bool {
        ["err ECONNREFUSED", "err EACCES", "err EPERM"].contains(result ?? "")
    }

    /// "verb args => result" lines of the client, keyed by the attempt.
    func lines(_ r: Harness.Result) -> [String: String] {
        var out: [String: String] = [:]
        for line in r.stdout.split(separator: "\n") {
            let parts = line.components(separatedBy: " => ")
            if parts.count == 2 { out[parts[0]] = parts[1] }
        }
        return out
    }

    @Test(arguments: Harness.Mode.allCases)
    func cidrRuleAllowsItsPortOnly(mode: Harness.Mode) throws {
        let r = try net.client(mode, egress: ["\(net.addr)/32:8080", "[\(net.addr6)]/128:8080"], [
            "tcp", net.addr, "8080", ";", "tcp", net.addr, "8081", ";", "tcp", net.addrB, "8080", ";",
            "tcp", net.addr6, "8080", ";", "tcp", net.addr6, "8081",
        ])
        let l = lines(r)
        #expect(l["tcp \(net.addr) 8080"]?.hasPrefix("ok hello-8080") == true, "\(r.stdout) \(r.stderr)")
        #expect(refused(l["tcp \(net.addr) 8081"]), "\(r.stdout)")
        #expect(refused(l["tcp \(net.addrB) 8080"]), "\(r.stdout)")
        #expect(l["tcp \(net.addr6) 8080"]?.hasPrefix("ok hello-v6-8080") == true, "\(r.stdout)")
        #expect(refused(l["tcp \(net.addr6) 8081"]), "\(r.stdout)")
        let network = r.report?["network"]
        #expect(network?["connections"]?.arrayValue?.isEmpty == false, "the allowed connections are recorded: \(r.stdout)")
        // Refused in the kernel (as root by the cgroup socket filter before any packet exists,
        // rootless by the namespace's ruleset): still on the record, with the layer that refused.
        let conns = network?["connections"]?.arrayValue ?? []
        let layer = mode == .root ? "cgroup socket filter" : "nftables ruleset"
        #expect(conns.contains { $0["dst"]?.stringValue == net.addrB && $0["port"]?.intValue == 8080 && $0["verdict"]?.stringValue == "denied"
                    && $0["reason"]?.stringValue?.contains(layer) == true }, "\(r.stdout)")
        #expect((network?["denied"]?.intValue ?? 0) >= 1, "\(r.stdout)")
    }

    @Test(arguments: Harness.Mode.allCases)
    func hostnameRuleResolvesPinsAndConnects(mode: Harness.Mode) throws {
        let r = try net.client(mode, egress: ["alpha.test:8080", "flip.test:8080"], [
            "resolve", "alpha.test", ";", "tcp", "alpha.test", "8080", ";", "tcp", "alpha.test", "8081", ";",
            "resolve", "unlisted.test", ";", "query", net.addr, "unlisted.test", ";",
            "tcp", net.addrB, "8080", ";",
            "resolve", "flip.test", ";", "resolve", "flip.test",
        ])
        let l = lines(r)
        #expect(l["resolve alpha.test"] == "ok \(net.addr) \(net.addr6)", "\(r.stdout) \(r.stderr)")
        // Either family: the name has an A and an AAAA answer, both pinned.
        #expect(l["tcp alpha.test 8080"]?.hasPrefix("ok hello-") == true, "\(r.stdout)")
        #expect(refused(l["tcp alpha.test 8081"]), "\(r.stdout)")
        #expect(l["resolve unlisted.test"]?.hasPrefix("err") == true, "an unlisted name does not resolve: \(r.stdout)")
        // Asked of the test host's own DNS server (which knows the name): Warden's stub answers instead.
        #expect(l["query \(net.addr) unlisted.test"] == "ok rcode=3 answers=0", "\(r.stdout)")
        #expect(refused(l["tcp \(net.addrB) 8080"]), "an IP literal is not a hostname grant: \(r.stdout)")
        // flip.test answers differently the second time; the run keeps its first answer.
        #expect(l["resolve flip.test"] == "ok \(net.addr)", "\(r.stdout)")
        let dns = r.report?["network"]?["dns"]?.arrayValue ?? []
        #expect(dns.contains { $0["name"]?.stringValue == "alpha.test" }, "\(r.stdout)")
    }

    @Test func rebindingAnswersAreDropped() throws {
        let r = try net.client(.root, egress: ["rebind.test:8080", "meta.test:80"], [
            "resolve", "rebind.test", ";", "resolve", "meta.test", ";", "tcp", "rebind.test", "8080",
        ])
        let l = lines(r)
        #expect(l["resolve rebind.test"] == "ok \(net.addr)", "127.0.0.1 is dropped, the public answer kept: \(r.stdout) \(r.stderr)")
        #expect(l["resolve meta.test"]?.hasPrefix("err") == true, "169.254.169.254 is never handed out: \(r.stdout)")
        #expect(l["tcp rebind.test 8080"]?.hasPrefix("ok hello-8080") == true, "\(r.stdout)")
        let dropped = (r.report?["network"]?["dns"]?.arrayValue ?? []).flatMap { $0["dropped"]?.arrayValue ?? [] }
        #expect(dropped.contains { $0.stringValue == "127.0.0.1" } && dropped.contains { $0.stringValue == "169.254.169.254" }, "\(r.stdout)")
    }

    @Test(arguments: Harness.Mode.allCases)
    func serverNameMustMatchThePinnedName(mode: Harness.Mode) throws {
        let r = try net.client(mode, egress: ["alpha.test:8443", "delta.test:8443"], [
            "resolve", "alpha.test", ";", "resolve", "delta.test", ";",
            "tls", "alpha.test", "8443", "alpha.test", ";",
            "tls", net.addr, "8443", "delta.test", ";",
            "tls", net.addr, "8443", "beta.test",
        ])
        let l = lines(r)
        #expect(l["tls alpha.test 8443 alpha.test"] == "ok tls-hello", "\(r.stdout) \(r.stderr)")
        #expect(l["tls \(net.addr) 8443 delta.test"]?.hasPrefix("err") == true, "fronting: delta.test did not resolve there: \(r.stdout)")
        #expect(l["tls \(net.addr) 8443 beta.test"]?.hasPrefix("err") == true, "beta.test is not allowed: \(r.stdout)")
        let conns = r.report?["network"]?["connections"]?.arrayValue ?? []
        #expect(conns.contains { $0["sni"]?.stringValue == "delta.test" && $0["verdict"]?.stringValue == "denied" }, "\(r.stdout)")
    }

    @Test(arguments: Harness.Mode.allCases)
    func udpOnlyToWardensResolver(mode: Harness.Mode) throws {
        let r = try net.client(mode, egress: ["alpha.test:8080"], ["udp", net.addr, "9999", ";", "resolve", "alpha.test"])
        let l = lines(r)
        #expect(l["udp \(net.addr) 9999"] == "err EPERM", "\(r.stdout) \(r.stderr)")
        #expect(l["resolve alpha.test"]?.hasPrefix("ok") == true, "\(r.stdout)")
    }

    /// A listed `/udp` rule carries datagrams both ways (replies come from the destination's own
    /// address and port, so connected sockets accept them); its other ports, other hosts and a
    /// TCP connection to the same port stay refused.
    @Test(arguments: Harness.Mode.allCases)
    func listedUDPRulesCarryDatagrams(mode: Harness.Mode) throws {
        let r = try net.client(mode, egress: ["\(net.addr)/32:9999/udp", "[\(net.addr6)]/128:9999/udp"], [
            "udp", net.addr, "9999", ";", "udpc", net.addr, "9999", ";", "udp", net.addr6, "9999", ";",
            "udp", net.addr, "9998", ";", "udp", net.addrB, "9999", ";", "tcp", net.addr, "9999",
        ])
        let l = lines(r)
        #expect(l["udp \(net.addr) 9999"] == "ok echo u", "\(r.stdout) \(r.stderr)")
        #expect(l["udpc \(net.addr) 9999"] == "ok echo u", "\(r.stdout)")
        #expect(l["udp \(net.addr6) 9999"] == "ok echo-v6 u", "\(r.stdout)")
        #expect(l["udp \(net.addr) 9998"] == "err EPERM", "another port of the same host: \(r.stdout)")
        #expect(l["udp \(net.addrB) 9999"] == "err EPERM", "another host: \(r.stdout)")
        #expect(refused(l["tcp \(net.addr) 9999"]), "a /udp rule grants no TCP: \(r.stdout)")
        let conns = r.report?["network"]?["connections"]?.arrayValue ?? []
        let udp = conns.filter { $0["proto"]?.stringValue == "udp" && $0["verdict"]?.stringValue == "allowed" }
        #expect(udp.contains { $0["dst"]?.stringValue == net.addr && $0["port"]?.intValue == 9999 && ($0["bytes_in"]?.intValue ?? 0) > 0 },
                "each flow is on the record with its bytes: \(r.stdout)")
        #expect(udp.contains { $0["dst"]?.stringValue == net.addr6 }, "\(r.stdout)")
    }

    /// Attack: datagrams sent straight to the relay's own port (no TPROXY in the way, so the
    /// "original destination" is loopback) are refused, and the listed destination still works.
    @Test(arguments: Harness.Mode.allCases)
    func theRelaysOwnPortIsNoWayOut(mode: Harness.Mode) throws {
        let r = try net.client(mode, egress: ["\(net.addr)/32:9999/udp"], [
            "udp", "127.0.0.1", "15054", ";", "udp", "::1", "15054", ";", "udp", net.addr, "9999",
        ])
        let l = lines(r)
        #expect(l["udp 127.0.0.1 15054"]?.hasPrefix("ok") == false, "\(r.stdout) \(r.stderr)")
        #expect(l["udp ::1 15054"]?.hasPrefix("ok") == false, "\(r.stdout)")
        #expect(l["udp \(net.addr) 9999"] == "ok echo u", "\(r.stdout)")
        let conns = r.report?["network"]?["connections"]?.arrayValue ?? []
        #expect(conns.contains { $0["dst"]?.stringValue == "127.0.0.1" && $0["port"]?.intValue == 15054 && $0["verdict"]?.stringValue == "denied" },
                "the attempt is on the record: \(r.stdout)")
    }

    /// A hostname `/udp` rule: datagrams reach the name's pinned addresses on its port only;
    /// an address pinned for a TCP-only name is no UDP grant.
    @Test(arguments: Harness.Mode.allCases)
    func hostnameUDPRuleFollowsThePins(mode: Harness.Mode) throws {
        let r = try net.client(mode, egress: ["alpha.test:9999/udp", "delta.test:8080"], [
            "udp", "alpha.test", "9999", ";", "udp", "alpha.test", "9998", ";", "resolve", "delta.test", ";",
            "udp", net.addrB, "9999", ";", "tcp", "delta.test", "8080",
        ])
        let l = lines(r)
        #expect(l["udp alpha.test 9999"]?.hasPrefix("ok echo") == true, "\(r.stdout) \(r.stderr)")
        #expect(l["udp alpha.test 9998"] == "err EPERM", "\(r.stdout)")
        #expect(l["resolve delta.test"] == "ok \(net.addrB)", "\(r.stdout)")
        #expect(l["udp \(net.addrB) 9999"] == "err EPERM", "pinned for a TCP-only name: \(r.stdout)")
        #expect(l["tcp delta.test 8080"]?.hasPrefix("ok hello-b8080") == true, "\(r.stdout)")
    }

    /// A resolver the rules list (`ADDR:53/udp`) is the tool's own: its queries reach it instead
    /// of Warden's stub; any other server's queries still get the stub's answer.
    @Test func aListedResolverIsReachedDirectly() throws {
        let r = try net.client(.root, egress: ["\(net.addr)/32:53/udp", "alpha.test:8080"], [
            "query", net.addr, "unlisted.test", ";", "query", net.addrB, "unlisted.test",
        ])
        let l = lines(r)
        #expect(l["query \(net.addr) unlisted.test"] == "ok rcode=0 answers=1", "the test host's own answer: \(r.stdout) \(r.stderr)")
        #expect(l["query \(net.addrB) unlisted.test"] == "ok rcode=3 answers=0", "Warden's stub answers for others: \(r.stdout)")
    }

    /// audit-only refuses no datagram either; the flow is recorded as one the rules would refuse.
    @Test(arguments: Harness.Mode.allCases)
    func auditOnlyRelaysUnlistedUDP(mode: Harness.Mode) throws {
        let r = try net.client(mode, egress: ["\(net.addr)/32:8080"], extra: ["--egress-audit"], [
            "udp", net.addr, "9998", ";", "tcp", net.addr, "8081",
        ])
        let l = lines(r)
        #expect(l["udp \(net.addr) 9998"] == "ok echo-9998 u", "\(r.stdout) \(r.stderr)")
        #expect(l["tcp \(net.addr) 8081"]?.hasPrefix("ok hello-8081") == true, "\(r.stdout)")
        let conns = r.report?["network"]?["connections"]?.arrayValue ?? []
        #expect(conns.contains { $0["proto"]?.stringValue == "udp" && $0["verdict"]?.stringValue == "audit" }, "\(r.stdout)")
    }

    @Test(arguments: Harness.Mode.allCases)
    func rawSocketsAndIoUringStayDeniedUnderAGrant(mode: Harness.Mode) throws {
        let r = try net.client(mode, egress: ["\(net.addr)/32:8080"], ["raw", ";", "io_uring", ";", "tcp", net.addr, "8080"])
        let l = lines(r)
        #expect(l["raw"] == "err EPERM", "\(r.stdout) \(r.stderr)")
        #expect(l["io_uring"]?.hasPrefix("err") == true, "\(r.stdout)")
        #expect(l["tcp \(net.addr) 8080"]?.hasPrefix("ok hello-8080") == true, "the grant itself works: \(r.stdout)")
    }

    @Test(arguments: Harness.Mode.allCases)
    func theToolCannotChangeTheRules(mode: Harness.Mode) throws {
        let r = try Harness.exec(mode, flags: ["--egress", "\(net.addr)/32:8080", "--resolver", net.addr, "--allow-exec", "/usr/sbin/nft"],
                                 ["/usr/sbin/nft", "add", "rule", "inet", "warden", "filter_out", "accept"])
        #expect(r.status != 0, "\(r.stdout)")
        #expect(r.stderr.contains("Operation not permitted"), "\(r.stderr)")
        let allowed = try net.client(mode, egress: ["\(net.addr)/32:8080"], ["tcp", net.addr, "8080"])
        #expect(lines(allowed)["tcp \(net.addr) 8080"]?.hasPrefix("ok") == true, "\(allowed.stdout)")
    }

    @Test func ruleChangeFromOutsideKillsTheRun() throws {
        let token = "drift-\(UUID().uuidString.prefix(8))"
        let e = try Harness.environment()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: e.warden)
        p.arguments = ["exec", "--no-stdin", "--json", "--ro", net.dir + ":/opt/net", "--egress", "\(net.addr)/32:8080",
                       "--resolver", net.addr]
            + (CodeLoadingTests.pythonDynload().map { ["--allow-load", $0] } ?? [])
            + ["--", "/usr/bin/python3", "/opt/net/client.py", "hold", "20", ";", "tcp", token]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        var program: Int32?
        let deadline = Date().addingTimeInterval(20)
        while program == nil && Date() < deadline {
            program = Harness.processes(containing: token).first
            usleep(50_000)
        }
        guard let pid = program else { p.terminate(); Issue.record("the sandboxed client never started"); return }
        usleep(300_000)
        let change = Harness.raw("/usr/bin/nsenter", ["-t", String(pid), "-n", "/usr/sbin/nft", "insert", "rule", "inet", "warden",
                                                      "filter_out", "accept"], timeout: 10)
        #expect(change.status == 0, "the test could change the rules: \(change.stderr)")
        p.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let report = text.split(separator: "\n").last.flatMap { try? StrictJSONParser.parse(String($0)) }
        #expect(p.terminationStatus == 137, "\(text)")
        #expect(report?["limits_hit"]?.arrayValue?.contains(.string("network_drift")) == true, "\(text)")
        #expect(report?["network"]?["drift"]?.stringValue?.contains("changed from outside Warden") == true, "\(text)")
    }

    @Test func bulkTransferThroughTheProxy() throws {
        let r = try net.client(.root, egress: ["\(net.addr)/32:8080"], ["bulk", net.addr, "8080", "10485760"])
        #expect(lines(r)["bulk \(net.addr) 8080 10485760"]?.hasPrefix("ok 10485760 bytes") == true, "\(r.stdout) \(r.stderr)")
        let conn = r.report?["network"]?["connections"]?.arrayValue?.first
        #expect(conn?["bytes_in"]?.intValue == 10_485_760, "\(r.stdout)")
    }

    @Test func nothingIsLeftBehind() throws {
        _ = try net.client(.root, egress: ["alpha.test:8080"], ["tcp", "alpha.test", "8080"])
        let cgroups = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup/unified")) ?? []
        #expect(!cgroups.contains { $0.hasPrefix("warden-net-") }, "\(cgroups)")
        let tables = Harness.raw("/usr/sbin/nft", ["list", "tables"], timeout: 10)
        #expect(!tables.stdout.contains("warden"), "no table on the host: \(tables.stdout)")
        #expect(Harness.processes(containing: "/opt/net/client.py").isEmpty)
        net.tearDown()
        #expect(net.isGone)
    }
}
}
