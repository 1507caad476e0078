import WardenNet

/// One destination the cgroup socket filter refused, as its program recorded it (see
/// `SockAddrProgram.refusalSize`). Pure: parsed from the queue's bytes.
public struct SockFilterRefusal: Sendable, Equatable {
    /// 4 or 16 bytes; an IPv4-mapped IPv6 destination is given as IPv4.
    public var address: [UInt8]
    public var port: UInt16
    /// "tcp", "udp", or "proto N" for a socket the filter refuses outright.
    public var proto: String

    public init(address: [UInt8], port: UInt16, proto: String) {
        self.address = address
        self.port = port
        self.proto = proto
    }

    /// Parses one record; nil when it is not one the programs write.
    public init?(record b: [UInt8]) {
        guard b.count == SockAddrProgram.refusalSize else { return nil }
        func word(_ o: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[o + $1]) << (8 * UInt32($1)) } }
        let family = word(0), protocolNumber = word(4)
        port = UInt16(b[8]) << 8 | UInt16(b[9])
        switch family {
        case 2: address = Array(b[12..<16])
        case 10:
            let a = Array(b[12..<28])
            let mapped = a[0..<10].allSatisfy { $0 == 0 } && a[10] == 0xff && a[11] == 0xff
            address = mapped ? Array(a[12...]) : a
        default: return nil
        }
        proto = switch protocolNumber {
        case 6, 262: "tcp"
        case 17, 136: "udp"
        default: "proto \(protocolNumber)"
        }
    }

    /// The run report's entry for it.
    var connection: NetworkReport.Connection {
        NetworkReport.Connection(dst: IPAddressText.format(address), port: port, proto: proto, name: nil, sni: nil,
                                 verdict: "denied", reason: "refused by the cgroup socket filter (EPERM)",
                                 bytesOut: 0, bytesIn: 0, millis: 0)
    }
}
