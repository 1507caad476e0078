extension EgressVerdict {
    /// The UDP relay's decision for one flow (the first datagram from a client port to a
    /// destination): a CIDR `/udp` rule containing the address, honouring the special ranges,
    /// or a hostname `/udp` rule for a name whose pinned answers include it. No SNI exists for
    /// UDP, so a hostname rule is only as strong as the pinning.
    public static func decideDatagram(grant: EgressGrant, address: [UInt8], port: UInt16, pinnedNames: [String],
                                      hostAddresses: [[UInt8]]) -> EgressVerdict {
        if let rule = grant.rule(forAddress: address, port: port, proto: .udp, hostAddresses: hostAddresses) {
            return EgressVerdict(allowed: true, name: nil, reason: "rule \(rule)")
        }
        let named = pinnedNames.filter { grant.rule(forName: $0, port: port, proto: .udp) != nil }.sorted()
        if let first = named.first {
            return EgressVerdict(allowed: true, name: first, reason: "pinned answer of \(first)")
        }
        let dst = "\(IPAddressText.format(address)):\(port)/udp"
        if !pinnedNames.isEmpty {
            return EgressVerdict(allowed: false, name: pinnedNames.sorted().first,
                                 reason: "no /udp rule allows port \(port) of \(pinnedNames.sorted().joined(separator: ", "))")
        }
        return EgressVerdict(allowed: false, name: nil, reason: "no /udp rule allows \(dst)")
    }
}
