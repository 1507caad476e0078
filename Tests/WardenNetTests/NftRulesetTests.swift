import Testing
@testable import WardenNet

/// The ruleset text: what reaches the proxy, the stub and the UDP relay, and what is refused.
@Suite struct NftRulesetTests {
    func ruleset(_ rules: [String], audit: Bool = false) throws -> NftRuleset {
        NftRuleset(proxyPort: 15001, dnsPort: 15053, udpPort: 15054, udpMark: 0x5744,
                   rules: try rules.map { try EgressRule(parsing: $0) }, auditOnly: audit)
    }

    @Test func tcpOnlyGrantsHaveNoRelay() throws {
        let r = try ruleset(["10.0.0.5:5432", "api.example.com:443"])
        #expect(!r.hasUDP)
        #expect(!r.text.contains("udp_mark") && !r.text.contains("tproxy"))
        #expect(r.text.contains("ip daddr 10.0.0.5/32 tcp dport { 5432 } redirect to :15001"))
        #expect(r.text.contains("ip daddr @pinned4 tcp dport { 443 } redirect to :15001"))
        #expect(r.text.contains("udp dport 53 redirect to :15053"))
    }

    @Test func udpRulesAreMarkedAcceptedAndHandedToTheRelay() throws {
        let r = try ruleset(["9.9.9.9:53/udp", "[2001:db8::]/32:5000-5001/udp", "ntp.example:123/udp"])
        #expect(r.hasUDP)
        let text = r.text
        for match in ["ip daddr 9.9.9.9/32 meta l4proto udp udp dport { 53 }",
                      "ip6 daddr 2001:db8::/32 meta l4proto udp udp dport { 5000-5001 }",
                      "ip daddr @pinnedu4 meta l4proto udp udp dport { 123 }",
                      "ip6 daddr @pinnedu6 meta l4proto udp udp dport { 123 }"] {
            #expect(text.contains("\(match) meta mark set 0x5744"), "\(match)")
            #expect(text.contains("\(match) accept"), "\(match)")
            // Listed datagrams skip the stub's redirect (a resolver of the tool's own).
            #expect(text.contains("\(match) return"), "\(match)")
        }
        #expect(text.contains("tproxy ip to 127.0.0.1:15054") && text.contains("tproxy ip6 to [::1]:15054"))
        // The stub's redirect comes after the listed resolver's return.
        let ret = text.range(of: "ip daddr 9.9.9.9/32 meta l4proto udp udp dport { 53 } return")!
        let dns = text.range(of: "udp dport 53 redirect")!
        #expect(ret.lowerBound < dns.lowerBound)
        // Unlisted UDP still meets the final reject.
        #expect(text.contains("reject with icmpx admin-prohibited"))
    }

    @Test func auditOnlyRelaysEveryDatagramButDNS() throws {
        let r = try ruleset(["10.0.0.0/8:443"], audit: true)
        #expect(r.hasUDP)
        #expect(r.text.contains("meta l4proto udp udp dport != 53 meta mark set 0x5744"))
        #expect(r.text.contains("meta l4proto tcp redirect to :15001"))
    }

    @Test func pinnedSetsFollowTheProtocolsOfTheName() {
        #expect(NftRuleset.pinnedSets(family: 4, tcp: true, udp: false) == ["pinned4"])
        #expect(NftRuleset.pinnedSets(family: 16, tcp: true, udp: true) == ["pinned6", "pinnedu6"])
        #expect(NftRuleset.pinnedSets(family: 4, tcp: false, udp: true) == ["pinnedu4"])
    }

    @Test func datagramVerdicts() throws {
        let grant = EgressGrant(rules: try ["9.9.9.9:53/udp", "ntp.example:123/udp", "web.example:443"].map { try EgressRule(parsing: $0) })
        let nine: [UInt8] = [9, 9, 9, 9], other: [UInt8] = [198, 51, 100, 7]
        #expect(EgressVerdict.decideDatagram(grant: grant, address: nine, port: 53, pinnedNames: [], hostAddresses: []).allowed)
        #expect(!EgressVerdict.decideDatagram(grant: grant, address: nine, port: 54, pinnedNames: [], hostAddresses: []).allowed)
        #expect(EgressVerdict.decideDatagram(grant: grant, address: other, port: 123, pinnedNames: ["ntp.example"], hostAddresses: []).allowed)
        let tcpName = EgressVerdict.decideDatagram(grant: grant, address: other, port: 443, pinnedNames: ["web.example"], hostAddresses: [])
        #expect(!tcpName.allowed && tcpName.reason.contains("/udp"), "a TCP hostname rule is no UDP grant")
        // Special ranges stay refused under a wide UDP rule unless named.
        let wide = EgressGrant(rules: [try EgressRule(parsing: "0.0.0.0/0:53/udp")])
        #expect(!EgressVerdict.decideDatagram(grant: wide, address: [127, 0, 0, 1], port: 53, pinnedNames: [], hostAddresses: []).allowed)
        #expect(!EgressVerdict.decideDatagram(grant: wide, address: [169, 254, 169, 254], port: 53, pinnedNames: [], hostAddresses: []).allowed)
        #expect(EgressVerdict.decideDatagram(grant: wide, address: nine, port: 53, pinnedNames: [], hostAddresses: []).allowed)
    }
}
