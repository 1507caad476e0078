import Foundation
import Testing

/// Hostname egress through `warden run`: the DNS stub answers only allowed names, pins what it
/// answered, drops rebinding answers, and the proxy checks the dialled address and the TLS
/// ClientHello's SNI against the pins, each refusal beside its allowed twin. The sample tool
/// resolves with a plain DNS query and sends its own ClientHello (`hello dns`, `hello fetch`).
@Suite(.serialized, .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft")))
final class EgressNameRunTests {
    let host: AcceptanceTestHost

    init() throws { host = try AcceptanceTestHost() }
    deinit { host.tearDown() }

    /// A home whose tool declares `network`, whose runs resolve through the test host's DNS.
    func home(_ network: [String]) throws -> AcceptanceHome {
        let h = try AcceptanceHome(network: network)
        try #"{"network": {"resolvers": ["\#(host.addr)"]}}"#.write(toFile: h.home + "/config.json", atomically: true, encoding: .utf8)
        return h
    }

    func policy(_ h: AcceptanceHome, _ allow: [String]) throws -> String {
        try h.policy(Policies.yaml(extra: "network: {egress: allow, allow: [\(allow.map { "\"\($0)\"" }.joined(separator: ", "))]}\n"))
    }

    func connections(_ r: RunResult) -> [[String: Any]] {
        ((r.event?["data"] as? [String: Any])?["network"] as? [String: Any])?["connections"] as? [[String: Any]] ?? []
    }

    @Test func aHostnameRuleResolvesPinsAndConnectsAndNothingElseResolves() throws {
        let h = try home(["alpha.test:8080"])
        let p = try policy(h, ["*.test:8080"])
        let ok = try h.run(["fetch", "alpha.test", "8080"], policy: p)
        try h.expectCompleted(ok, stdoutPrefix: "fetched alpha.test:8080")
        let net = (ok.event?["data"] as? [String: Any])?["network"] as? [String: Any]
        let dns = net?["dns"] as? [[String: Any]] ?? []
        #expect(dns.contains { $0["name"] as? String == "alpha.test" && ($0["answers"] as? [String])?.contains(host.addr) == true }, "\(String(describing: net))")
        #expect(connections(ok).contains { $0["name"] as? String == "alpha.test" && $0["verdict"] as? String == "allowed" })

        // A name the grant does not cover gets NXDOMAIN from Warden's stub (the test host knows it).
        let unlisted = try h.run(["dns", "unlisted.test"], policy: p)
        #expect(unlisted.verdict == "ran" && unlisted.status == 1 && unlisted.stderr.contains("rcode 3"), "\(unlisted.process.transcript)")
        // An IP literal is no hostname grant, even for the host the name points at.
        let literal = try h.run(["fetch", host.addrB, "8080"], policy: p)
        #expect(literal.verdict == "ran" && literal.status == 1, "\(literal.process.transcript)")
        #expect(connections(literal).contains { $0["dst"] as? String == host.addrB && $0["verdict"] as? String == "denied" },
                "the refusal is on the record: \(String(describing: literal.event))")
        try h.expectLedgerVerifies()
    }

    @Test func rebindingAnswersAreDroppedAndMetadataIsNeverHandedOut() throws {
        let h = try home(["rebind.test:8080", "meta.test:80"])
        let p = try policy(h, ["rebind.test:8080", "meta.test:80"])
        let rebind = try h.run(["dns", "rebind.test"], policy: p)
        try h.expectCompleted(rebind, stdoutPrefix: "resolved rebind.test: \(host.addr)")
        let dropped = (((rebind.event?["data"] as? [String: Any])?["network"] as? [String: Any])?["dns"] as? [[String: Any]] ?? [])
            .flatMap { $0["dropped"] as? [String] ?? [] }
        #expect(dropped.contains("127.0.0.1"), "\(String(describing: rebind.event))")
        let meta = try h.run(["dns", "meta.test"], policy: p)
        #expect(meta.verdict == "ran" && meta.status == 1, "169.254.169.254 is never handed out: \(meta.process.transcript)")
    }

    @Test func theClientHellosServerNameMustBeThePinnedName() throws {
        let h = try home(["alpha.test:8443", "delta.test:8443"])
        let p = try policy(h, ["alpha.test:8443", "delta.test:8443"])
        let ok = try h.run(["fetch", "alpha.test", "8443", "alpha.test"], policy: p)
        try h.expectCompleted(ok, stdoutPrefix: "fetched alpha.test:8443")
        // Domain fronting: an allowed name in the SNI that did not resolve to this address.
        let fronted = try h.run(["fetch", "alpha.test", "8443", "delta.test"], policy: p)
        #expect(fronted.verdict == "ran" && fronted.status == 1, "\(fronted.process.transcript)")
        #expect(connections(fronted).contains { $0["sni"] as? String == "delta.test" && $0["verdict"] as? String == "denied"
                    && ($0["reason"] as? String)?.contains("domain fronting") == true }, "\(String(describing: fronted.event))")
        let other = try h.run(["fetch", "alpha.test", "8443", "evil.test"], policy: p)
        #expect(other.verdict == "ran" && other.status == 1, "\(other.process.transcript)")
        try h.expectLedgerVerifies()
    }
}
