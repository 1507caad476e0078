/// What the cgroup socket filter allows (besides loopback, which is always allowed); built by
/// the caller from the run's egress grant.
public struct SockFilterRules: Sendable, Equatable {
    /// A static CIDR rule for one protocol.
    public struct Block: Sendable, Equatable {
        /// 4 (IPv4) or 16 (IPv6) bytes, network order. Host bits below the prefix are ignored.
        /// An IPv4-mapped IPv6 block (::ffff:a.b.c.d/96+) is treated as the IPv4 block.
        public var address: [UInt8]
        /// Prefix length: 0...32 for IPv4, 0...128 for IPv6.
        public var prefix: Int
        /// Allowed destination ports; empty means every port.
        public var ports: [ClosedRange<UInt16>]
        /// UDP (sendmsg, and connect of a datagram socket) when true, else TCP (stream connect).
        public var udp: Bool

        public init(address: [UInt8], prefix: Int, ports: [ClosedRange<UInt16>] = [], udp: Bool = false) {
            self.address = address
            self.prefix = prefix
            self.ports = ports
            self.udp = udp
        }
    }

    /// Static CIDR rules.
    public var blocks: [Block]
    /// TCP ports allowed to addresses later added with `CgroupSockFilter.allow(address:)`
    /// (hostname rules, pinned from Warden's DNS stub's answers); empty allows none.
    public var pinnedTCPPorts: [ClosedRange<UInt16>]
    /// UDP ports allowed to pinned addresses; empty allows none.
    public var pinnedUDPPorts: [ClosedRange<UInt16>]
    /// UDP to any address on this port is allowed: the run's network namespace redirects it to
    /// Warden's DNS stub.
    public var dnsPort: UInt16

    public init(blocks: [Block] = [], pinnedTCPPorts: [ClosedRange<UInt16>] = [],
                pinnedUDPPorts: [ClosedRange<UInt16>] = [], dnsPort: UInt16 = 53) {
        self.blocks = blocks
        self.pinnedTCPPorts = pinnedTCPPorts
        self.pinnedUDPPorts = pinnedUDPPorts
        self.dnsPort = dnsPort
    }
}
