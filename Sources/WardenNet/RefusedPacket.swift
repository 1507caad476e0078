/// A destination the kernel refused the tool: parsed from the head of a packet the run's
/// ruleset refused (as nflog copied it), or from the cgroup socket filter's record of a
/// refused connect/sendmsg (WardenSandbox). Pure and bounds-checked: the bytes are the tool's.
public struct RefusedPacket: Sendable, Equatable {
    /// 4 or 16 bytes.
    public var address: [UInt8]
    /// 0 when the protocol has no ports (or the copy ended before them).
    public var port: UInt16
    /// "tcp", "udp", "icmp", "icmpv6", or "proto N".
    public var proto: String

    public init(address: [UInt8], port: UInt16, proto: String) {
        self.address = address
        self.port = port
        self.proto = proto
    }

    /// Parses an IPv4 or IPv6 packet head; nil when it is neither or too short for its
    /// addresses. IPv6 extension headers are not followed (the port is then 0).
    public init?(packet b: [UInt8]) {
        guard let first = b.first else { return nil }
        let number: UInt8
        let transport: Int
        switch first >> 4 {
        case 4:
            let ihl = Int(first & 0x0F) * 4
            guard ihl >= 20, b.count >= 20 else { return nil }
            address = Array(b[16..<20])
            number = b[9]
            // A non-first fragment carries no transport header.
            let fragmentOffset = (UInt16(b[6] & 0x1F) << 8) | UInt16(b[7])
            transport = fragmentOffset == 0 ? ihl : Int.max
        case 6:
            guard b.count >= 40 else { return nil }
            address = Array(b[24..<40])
            number = b[6]
            transport = 40
        default:
            return nil
        }
        let hasPorts = number == 6 || number == 17 || number == 136
        if hasPorts, transport <= b.count - 4 {
            port = UInt16(b[transport + 2]) << 8 | UInt16(b[transport + 3])
        } else {
            port = 0
        }
        proto = Self.protocolName(UInt32(number))
    }

    /// "tcp", "udp", "icmp", "icmpv6", or "proto N" for an IP protocol number (MPTCP counts as
    /// TCP and UDP-Lite as UDP: sockets of those protocols connect the same way).
    public static func protocolName(_ number: UInt32) -> String {
        switch number {
        case 6, 262: "tcp"
        case 17, 136: "udp"
        case 1: "icmp"
        case 58: "icmpv6"
        default: "proto \(number)"
        }
    }
}
