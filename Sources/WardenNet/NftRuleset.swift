/// The nftables ruleset Warden installs inside a run's network namespace (docs/NETWORK.md).
/// Every TCP connection the grant may allow is redirected to the supervisor's transparent
/// proxy, every DNS query to its stub; everything else leaving loopback is refused at once
/// (TCP reset, ICMP admin-prohibited), so a client never sees a socket that opens and hangs.
public struct NftRuleset: Sendable, Equatable {
    public static let table = "warden"
    public static let pinnedSet4 = "pinned4"
    public static let pinnedSet6 = "pinned6"

    public var proxyPort: UInt16
    public var dnsPort: UInt16
    public var rules: [EgressRule]
    /// audit-only: every TCP connection goes to the proxy, which logs and allows it.
    public var auditOnly: Bool

    public init(proxyPort: UInt16, dnsPort: UInt16, rules: [EgressRule], auditOnly: Bool) {
        self.proxyPort = proxyPort
        self.dnsPort = dnsPort
        self.rules = rules
        self.auditOnly = auditOnly
    }

    /// The ruleset as `nft -f` input.
    public var text: String {
        // DNS first: a resolv.conf naming a loopback resolver (127.0.0.53) reaches the stub too.
        var nat: [String] = [
            "udp dport 53 redirect to :\(dnsPort)",
            "ip daddr 127.0.0.0/8 return",
            "ip6 daddr ::1 return",
        ]
        if auditOnly {
            nat.append("meta l4proto tcp redirect to :\(proxyPort)")
        } else {
            for rule in rules where rule.proto == .tcp {
                guard case .cidr(let address, let prefix) = rule.target else { continue }
                let family = address.count == 4 ? "ip" : "ip6"
                nat.append("\(family) daddr \(Self.cidr(address, prefix)) \(Self.ports(rule.ports))redirect to :\(proxyPort)")
            }
            let hostPorts = rules.filter { $0.proto == .tcp && $0.isHost }.map(\.ports)
            if !hostPorts.isEmpty {
                let ports = hostPorts.contains(where: \.isEmpty) ? "" : Self.ports(hostPorts.flatMap { $0 })
                nat.append("ip daddr @\(Self.pinnedSet4) \(ports)redirect to :\(proxyPort)")
                nat.append("ip6 daddr @\(Self.pinnedSet6) \(ports)redirect to :\(proxyPort)")
            }
        }
        let filter = [
            // After the redirect the destination is loopback: the proxy, the stub, or the
            // run's own loopback services. Replies and the resets refusing a connection go to
            // the client's source, loopback too (the default route's source address).
            "ip daddr 127.0.0.0/8 accept",
            "ip6 daddr ::1 accept",
            "meta l4proto tcp reject with tcp reset",
            "reject with icmpx admin-prohibited",
        ]
        return """
        table inet \(Self.table) {
          set \(Self.pinnedSet4) { type ipv4_addr; }
          set \(Self.pinnedSet6) { type ipv6_addr; }
          chain nat_out {
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

    /// `tcp dport { 80, 8000-8100 } ` (with the trailing space), or "" for every port.
    static func ports(_ ranges: [ClosedRange<UInt16>]) -> String {
        guard !ranges.isEmpty else { return "" }
        let items = ranges.sorted { $0.lowerBound < $1.lowerBound }
            .map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
        return "tcp dport { \(items.joined(separator: ", ")) } "
    }
}
