/// The nftables ruleset Warden installs inside a run's network namespace (docs/NETWORK.md).
/// Every TCP connection the grant may allow is redirected to the supervisor's transparent
/// proxy, every DNS query to its stub; everything else leaving loopback is refused at once
/// (TCP reset, ICMP admin-prohibited), so a client never sees a socket that opens and hangs.
/// Datagrams a `/udp` rule may allow are marked, routed locally and handed (TPROXY) to the
/// supervisor's UDP relay, which sees their original destination.
public struct NftRuleset: Sendable, Equatable {
    public static let table = "warden"
    public static let pinnedSet4 = "pinned4"
    public static let pinnedSet6 = "pinned6"
    /// Addresses pinned for names a hostname `/udp` rule allows (kept apart from the TCP sets,
    /// so an address pinned for a TCP-only name is refused for UDP at once).
    public static let pinnedUDPSet4 = "pinnedu4"
    public static let pinnedUDPSet6 = "pinnedu6"

    /// The sets a pinned address of `family` (4 or 16 bytes) joins, by the protocols its
    /// name's rules allow.
    public static func pinnedSets(family: Int, tcp: Bool, udp: Bool) -> [String] {
        (tcp ? [family == 4 ? pinnedSet4 : pinnedSet6] : []) + (udp ? [family == 4 ? pinnedUDPSet4 : pinnedUDPSet6] : [])
    }

    public var proxyPort: UInt16
    public var dnsPort: UInt16
    /// The UDP relay's port; used only when `hasUDP`.
    public var udpPort: UInt16
    /// The packet mark steering granted UDP to the relay (WNET_UDP_MARK in CWardenSys).
    public var udpMark: UInt32
    /// The nflog group refusals are logged to (WNET_NFLOG_GROUP), so the run's record lists them.
    public var logGroup: UInt16
    public var rules: [EgressRule]
    /// audit-only: every TCP connection goes to the proxy, every datagram but DNS to the
    /// relay, which log and allow them.
    public var auditOnly: Bool

    public init(proxyPort: UInt16, dnsPort: UInt16, udpPort: UInt16 = 15054, udpMark: UInt32 = 0x5744,
                logGroup: UInt16 = 0x5744, rules: [EgressRule], auditOnly: Bool) {
        self.proxyPort = proxyPort
        self.dnsPort = dnsPort
        self.udpPort = udpPort
        self.udpMark = udpMark
        self.logGroup = logGroup
        self.rules = rules
        self.auditOnly = auditOnly
    }

    /// Whether the run needs the UDP relay: a `/udp` rule, or audit-only (which relays all UDP).
    public var hasUDP: Bool { auditOnly || rules.contains { $0.proto == .udp } }

    /// One match per way the grant may allow `proto`: a CIDR rule's block and ports; the
    /// hostname rules' ports to that protocol's pinned sets (one match per family). audit-only
    /// allows all of it (DNS excepted: it always goes to the stub). The proxy or relay decides
    /// each connection; these only say what reaches them.
    func matches(_ proto: EgressRule.Proto) -> [String] {
        let name = proto == .tcp ? "tcp" : "udp"
        // `tcp dport` implies TCP; UDP and port-less rules name their protocol (a port-less
        // TCP block must not catch the run's datagrams).
        func match(_ daddr: String, _ ports: [ClosedRange<UInt16>]) -> String {
            let l4 = proto == .udp || ports.isEmpty ? "meta l4proto \(name)" : ""
            return [daddr, l4, Self.ports(ports, proto: name)].filter { !$0.isEmpty }.joined(separator: " ")
        }
        if auditOnly { return [proto == .udp ? "meta l4proto udp udp dport != 53" : "meta l4proto tcp"] }
        var out: [String] = []
        for rule in rules where rule.proto == proto {
            guard case .cidr(let address, let prefix) = rule.target else { continue }
            out.append(match("\(address.count == 4 ? "ip" : "ip6") daddr \(Self.cidr(address, prefix))", rule.ports))
        }
        let hostPorts = rules.filter { $0.proto == proto && $0.isHost }.map(\.ports)
        if !hostPorts.isEmpty {
            let ports = hostPorts.contains(where: \.isEmpty) ? [] : hostPorts.flatMap { $0 }
            let (v4, v6) = proto == .tcp ? (Self.pinnedSet4, Self.pinnedSet6) : (Self.pinnedUDPSet4, Self.pinnedUDPSet6)
            out.append(match("ip daddr @\(v4)", ports))
            out.append(match("ip6 daddr @\(v6)", ports))
        }
        return out
    }

    /// The ruleset as `nft -f` input.
    public var text: String {
        let udp = hasUDP ? matches(.udp) : []
        // DNS first: a resolv.conf naming a loopback resolver (127.0.0.53) reaches the stub too;
        // datagrams a `/udp` rule lists (a resolver of the tool's own) go to the relay instead.
        var nat: [String] = udp.map { "\($0) return" } + [
            "udp dport 53 redirect to :\(dnsPort)",
            "ip daddr 127.0.0.0/8 return",
            "ip6 daddr ::1 return",
        ]
        nat += matches(.tcp).map { "\($0) redirect to :\(proxyPort)" }
        let filter = [
            // After the redirect the destination is loopback: the proxy, the stub, or the
            // run's own loopback services. Replies and the resets refusing a connection go to
            // the client's source, loopback too (the default route's source address).
            "ip daddr 127.0.0.0/8 accept",
            "ip6 daddr ::1 accept",
        ] + udp.map { "\($0) accept" } + [
            "meta l4proto tcp log group \(logGroup) reject with tcp reset",
            "log group \(logGroup) reject with icmpx admin-prohibited",
        ]
        let mark = "0x" + String(udpMark, radix: 16)
        let udpChains = udp.isEmpty ? "" : """
          chain udp_mark {
            type route hook output priority -150; policy accept;
            ip daddr 127.0.0.0/8 return
            ip6 daddr ::1 return
        \(udp.map { "    \($0) meta mark set \(mark)" }.joined(separator: "\n"))
          }
          chain udp_tproxy {
            type filter hook prerouting priority -150; policy accept;
            meta mark \(mark) meta nfproto ipv4 meta l4proto udp tproxy ip to 127.0.0.1:\(udpPort) accept
            meta mark \(mark) meta nfproto ipv6 meta l4proto udp tproxy ip6 to [::1]:\(udpPort) accept
          }

        """
        return """
        table inet \(Self.table) {
          set \(Self.pinnedSet4) { type ipv4_addr; }
          set \(Self.pinnedSet6) { type ipv6_addr; }
          set \(Self.pinnedUDPSet4) { type ipv4_addr; }
          set \(Self.pinnedUDPSet6) { type ipv6_addr; }
        \(udpChains)  chain nat_out {
            type nat hook output priority -100; policy accept;
        \(nat.map { "    " + $0 }.joined(separator: "\n"))
          }
          chain filter_out {
            type filter hook output priority 0; policy drop;
        \(filter.map { "    " + $0 }.joined(separator: "\n"))
          }
        }

        """
    }

    static func cidr(_ address: [UInt8], _ prefix: Int) -> String {
        "\(IPAddressText.format(address))/\(prefix)"
    }

    /// `tcp dport { 80, 8000-8100 }`, or "" for every port.
    static func ports(_ ranges: [ClosedRange<UInt16>], proto: String = "tcp") -> String {
        guard !ranges.isEmpty else { return "" }
        let items = ranges.sorted { $0.lowerBound < $1.lowerBound }
            .map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
        return "\(proto) dport { \(items.joined(separator: ", ")) }"
    }
}
