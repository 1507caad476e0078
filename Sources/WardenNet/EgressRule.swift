/// One egress allow rule: `CIDR[:PORTS][/PROTO]` or `HOST[:PORTS][/PROTO]` (docs/NETWORK.md).
/// Parsed once, normalized, shared by policies, manifests and `warden exec --egress`.
public struct EgressRule: Sendable, Hashable, CustomStringConvertible {
    public enum Proto: String, Sendable, Hashable { case tcp, udp }

    public enum Target: Sendable, Hashable {
        /// 4 or 16 address bytes and a prefix length; host bits below the prefix are zero.
        case cidr(address: [UInt8], prefix: Int)
        /// A lowercase ASCII (punycode) name; `*.example.com` matches one or more labels below
        /// `example.com`, never `example.com` itself.
        case host(String)
    }

    public var target: Target
    /// Allowed ports, sorted and merged; empty means every port.
    public var ports: [ClosedRange<UInt16>]
    public var proto: Proto

    public init(target: Target, ports: [ClosedRange<UInt16>], proto: Proto) {
        self.target = target
        self.ports = EgressRuleParser.merge(ports)
        self.proto = proto
    }

    /// Parses one rule; the error names the offending character offset.
    public init(parsing text: String) throws(EgressRuleError) {
        self = try EgressRuleParser.parse(text)
    }

    /// The normalized spelling; `EgressRule(parsing: r.description) == r`.
    public var description: String {
        var base: String
        let portText = ports.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            .joined(separator: ",")
        switch target {
        case .host(let name):
            base = name
            if !ports.isEmpty { base += ":" + portText }
        case .cidr(let address, let prefix):
            let cidr = "\(IPAddressText.format(address))/\(prefix)"
            if ports.isEmpty { base = cidr } else { base = address.count == 16 ? "[\(cidr)]:\(portText)" : "\(cidr):\(portText)" }
        }
        return proto == .udp ? base + "/udp" : base
    }

    /// True for hostname rules.
    public var isHost: Bool {
        if case .host = target { return true }
        return false
    }

    public func allowsPort(_ p: UInt16) -> Bool {
        ports.isEmpty || ports.contains { $0.contains(p) }
    }

    /// Whether a CIDR rule's block contains `address` (4 or 16 bytes).
    public func contains(address: [UInt8]) -> Bool {
        guard case .cidr(let net, let prefix) = target else { return false }
        return AddressRanges.contains(network: net, prefix: prefix, address: address)
    }

    /// Whether a hostname rule matches `name` (case-insensitive, trailing dot ignored).
    public func matches(name: String) -> Bool {
        guard case .host(let pattern) = target else { return false }
        var n = name.lowercased()
        if n.hasSuffix(".") { n.removeLast() }
        if pattern.hasPrefix("*.") {
            let suffix = pattern.dropFirst(1)   // ".example.com"
            return n.count > suffix.count && n.hasSuffix(suffix)
        }
        return n == pattern
    }

    /// Whether everything `other` allows, this rule allows too.
    public func covers(_ other: EgressRule) -> Bool {
        guard proto == other.proto else { return false }
        let portsCovered: Bool
        if ports.isEmpty { portsCovered = true } else if other.ports.isEmpty { portsCovered = false } else {
            portsCovered = other.ports.allSatisfy { r in ports.contains { $0.contains(r.lowerBound) && $0.contains(r.upperBound) } }
        }
        guard portsCovered else { return false }
        switch (target, other.target) {
        case (.cidr(let a, let p), .cidr(let b, let q)):
            return a.count == b.count && p <= q && AddressRanges.contains(network: a, prefix: p, address: b)
        case (.host(let mine), .host(let theirs)):
            if mine == theirs { return true }
            guard mine.hasPrefix("*.") else { return false }
            // A wildcard covers names below it and narrower wildcards.
            let name = theirs.hasPrefix("*.") ? String(theirs.dropFirst(2)) : theirs
            return matches(name: name) || (theirs.hasPrefix("*.") && matches(name: "x." + name))
        default:
            return false
        }
    }
}

/// Why a rule does not parse: a message and the 0-based character offset of the fault.
public struct EgressRuleError: Error, Sendable, Equatable {
    public let message: String
    public let offset: Int

    public init(_ message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }
}
