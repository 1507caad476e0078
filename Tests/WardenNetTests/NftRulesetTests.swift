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

/// The packet heads nflog hands Warden: the tool's own bytes, parsed with bounds checks.
@Suite struct RefusedPacketTests {
    func ipv4(proto: UInt8, dst: [UInt8], port: UInt16, ihl: UInt8 = 5, fragment: UInt16 = 0) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: Int(ihl) * 4)
        h[0] = 0x40 | ihl
        h[6] = UInt8(fragment >> 8); h[7] = UInt8(fragment & 0xff)
        h[9] = proto
        h[12..<16] = [10, 0, 0, 1]
        h[16..<20] = dst[...]
        return h + [0x9c, 0x40, UInt8(port >> 8), UInt8(port & 0xff)] + [UInt8](repeating: 0, count: 16)
    }

    @Test func tcpAndUDPHeadsNameTheirDestination() {
        #expect(RefusedPacket(packet: ipv4(proto: 6, dst: [198, 51, 100, 7], port: 443))
                == RefusedPacket(address: [198, 51, 100, 7], port: 443, proto: "tcp"))
        #expect(RefusedPacket(packet: ipv4(proto: 17, dst: [9, 9, 9, 9], port: 5000, ihl: 6))
                == RefusedPacket(address: [9, 9, 9, 9], port: 5000, proto: "udp"), "options are skipped")
        #expect(RefusedPacket(packet: ipv4(proto: 1, dst: [1, 1, 1, 1], port: 0))?.proto == "icmp")
        #expect(RefusedPacket(packet: ipv4(proto: 17, dst: [9, 9, 9, 9], port: 5000, fragment: 0x0010))?.port == 0,
                "a later fragment has no ports")
        var v6 = [UInt8](repeating: 0, count: 40)
        v6[0] = 0x60; v6[6] = 6
        v6[24..<40] = ([0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [9])[...]
        #expect(RefusedPacket(packet: v6 + [0, 80, 0x1f, 0x90]) == RefusedPacket(address: Array(v6[24..<40]), port: 8080, proto: "tcp"))
    }

    @Test func truncatedOrForeignBytesAreNoPacket() {
        #expect(RefusedPacket(packet: []) == nil)
        #expect(RefusedPacket(packet: [0x45] + [UInt8](repeating: 0, count: 10)) == nil)
        #expect(RefusedPacket(packet: [0x41] + [UInt8](repeating: 0, count: 30)) == nil, "IHL below 5")
        #expect(RefusedPacket(packet: [0x60] + [UInt8](repeating: 0, count: 30)) == nil)
        #expect(RefusedPacket(packet: [0x20] + [UInt8](repeating: 0, count: 60)) == nil, "neither IPv4 nor IPv6")
        // A header claiming more options than were copied: addresses, no port.
        let long = ipv4(proto: 6, dst: [10, 0, 0, 2], port: 80, ihl: 15).prefix(24)
        #expect(RefusedPacket(packet: Array(long))?.port == 0)
        for _ in 0..<5000 {
            let n = Int.random(in: 0...96)
            _ = RefusedPacket(packet: (0..<n).map { _ in UInt8.random(in: 0...255) })
        }
    }
}
