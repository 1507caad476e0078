import WardenNet

extension RefusedPacket {
    /// Parses one record of the cgroup socket filter's refusal queue (see
    /// `SockAddrProgram.refusalSize`); an IPv4-mapped IPv6 destination is given as IPv4. nil
    /// when it is not a record the programs write.
    init?(sockFilterRecord b: [UInt8]) {
        guard b.count == SockAddrProgram.refusalSize else { return nil }
        func word(_ o: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[o + $1]) << (8 * UInt32($1)) } }
        let address: [UInt8]
        switch word(0) {
        case 2: address = Array(b[12..<16])
        case 10:
            let a = Array(b[12..<28])
            let mapped = a[0..<10].allSatisfy { $0 == 0 } && a[10] == 0xff && a[11] == 0xff
            address = mapped ? Array(a[12...]) : a
        default: return nil
        }
        self.init(address: address, port: UInt16(b[8]) << 8 | UInt16(b[9]), proto: Self.protocolName(word(4)))
    }
}

extension NetworkReport.Connection {
    /// The report's entry for a destination the kernel refused; `layer` names who refused it.
    static func refused(_ p: RefusedPacket, by layer: String) -> Self {
        Self(dst: IPAddressText.format(p.address), port: p.port, proto: p.proto, name: nil, sni: nil,
             verdict: "denied", reason: "refused by \(layer)", bytesOut: 0, bytesIn: 0, millis: 0)
    }
}
