/// Address ranges a wide rule never reaches: only a rule naming a block inside the range (or,
/// for the host's own addresses, exactly that address) lets a connection or DNS answer in.
public enum AddressRanges {
    public struct Range: Sendable, Hashable {
        public let network: [UInt8]
        public let prefix: Int
        public let name: String
    }

    static func v4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, _ p: Int, _ n: String) -> Range {
        Range(network: [a, b, c, d], prefix: p, name: n)
    }

    static func v6(_ head: [UInt8], _ p: Int, _ n: String) -> Range {
        Range(network: head + [UInt8](repeating: 0, count: 16 - head.count), prefix: p, name: n)
    }

    public static let special: [Range] = [
        v4(0, 0, 0, 0, 8, "unspecified"), v4(127, 0, 0, 0, 8, "loopback"), v4(169, 254, 0, 0, 16, "link-local"),
        v4(10, 0, 0, 0, 8, "private"), v4(172, 16, 0, 0, 12, "private"), v4(192, 168, 0, 0, 16, "private"),
        v4(100, 64, 0, 0, 10, "CGNAT"), v4(224, 0, 0, 0, 4, "multicast"), v4(240, 0, 0, 0, 4, "reserved"),
        v6([], 128, "unspecified"), v6([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128, "loopback"),
        v6([0xfe, 0x80], 10, "link-local"), v6([0xfc], 7, "unique local"), v6([0xff], 8, "multicast"),
    ]

    /// Whether `address` lies in `network/prefix` (same family).
    public static func contains(network: [UInt8], prefix: Int, address: [UInt8]) -> Bool {
        guard network.count == address.count, prefix >= 0, prefix <= address.count * 8 else { return false }
        var bits = prefix, i = 0
        while bits >= 8 {
            if network[i] != address[i] { return false }
            bits -= 8
            i += 1
        }
        guard bits > 0 else { return true }
        let mask = UInt8(0xff) << UInt8(8 - bits)
        return network[i] & mask == address[i] & mask
    }

    /// The IPv4 address inside an IPv4-mapped (::ffff:0:0/96) or NAT64 (64:ff9b::/96) address.
    public static func embeddedIPv4(_ address: [UInt8]) -> [UInt8]? {
        guard address.count == 16 else { return nil }
        let mapped = address[0..<10].allSatisfy { $0 == 0 } && address[10] == 0xff && address[11] == 0xff
        let nat64 = address[0..<12] == [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0][...]
        return mapped || nat64 ? Array(address[12...]) : nil
    }

    /// The special range `address` falls in, if any (embedded IPv4 classified as IPv4).
    public static func classify(_ address: [UInt8], hostAddresses: [[UInt8]] = []) -> Range? {
        if let v4 = embeddedIPv4(address) { return classify(v4, hostAddresses: hostAddresses) }
        if hostAddresses.contains(address) {
            return Range(network: address, prefix: address.count * 8, name: "this host")
        }
        if address.count == 4, address == [255, 255, 255, 255] { return v4(255, 255, 255, 255, 32, "broadcast") }
        return special.first { contains(network: $0.network, prefix: $0.prefix, address: address) }
    }

    /// Whether a CIDR rule names the special range of `address` explicitly: its block lies
    /// entirely inside that range (for this host's addresses: is exactly the address).
    public static func explicitlyNamed(_ address: [UInt8], by rule: EgressRule, range: Range) -> Bool {
        guard case .cidr(var net, var prefix) = rule.target else { return false }
        var target = address
        if let v4 = embeddedIPv4(address) {
            target = v4
            if net.count == 16, let n4 = embeddedIPv4(net), prefix >= 96 { net = n4; prefix -= 96 }
        }
        guard net.count == target.count, contains(network: net, prefix: prefix, address: target) else { return false }
        return prefix >= range.prefix && contains(network: range.network, prefix: range.prefix, address: net)
    }
}
