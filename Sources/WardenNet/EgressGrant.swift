/// What one run may reach: rules (the manifest's, each covered by the policy; or `--egress`),
/// and whether refusals are only logged (`network.mode: audit-only`).
public struct EgressGrant: Sendable, Hashable {
    public var rules: [EgressRule]
    public var auditOnly: Bool

    public init(rules: [EgressRule], auditOnly: Bool = false) {
        self.rules = rules
        self.auditOnly = auditOnly
    }

    /// The run's grant: every manifest rule must be covered by a policy rule; the effective
    /// rule is the manifest's (the narrower). A manifest that declares nothing gets nothing.
    public static func intersect(manifest: [EgressRule], policy: [EgressRule]) -> Result<[EgressRule], EgressDenial> {
        for rule in manifest where !policy.contains(where: { $0.covers(rule) }) {
            return .failure(EgressDenial(rule: rule, message: "\(rule) is not allowed by the policy's network.allow"))
        }
        return .success(manifest)
    }

    /// The CIDR rule allowing a connection to a literal address, honouring the special ranges.
    public func rule(forAddress address: [UInt8], port: UInt16, proto: EgressRule.Proto,
                     hostAddresses: [[UInt8]]) -> EgressRule? {
        let special = AddressRanges.classify(address, hostAddresses: hostAddresses)
        let target = AddressRanges.embeddedIPv4(address) ?? address
        return rules.first { rule in
            guard rule.proto == proto, rule.allowsPort(port), !rule.isHost else { return false }
            guard rule.contains(address: target) || rule.contains(address: address) else { return false }
            guard let special else { return true }
            return AddressRanges.explicitlyNamed(address, by: rule, range: special)
        }
    }

    /// The hostname rule allowing `name` (on any port when `port` is nil) for `proto`.
    public func rule(forName name: String, port: UInt16?, proto: EgressRule.Proto) -> EgressRule? {
        rules.first { rule in rule.proto == proto && rule.matches(name: name) && (port.map { rule.allowsPort($0) } ?? true) }
    }

    /// Whether a DNS answer may be handed out: not when it falls in a special range that no
    /// CIDR rule of the grant names explicitly (rebinding to loopback, metadata, private nets).
    public func answerAllowed(_ address: [UInt8], hostAddresses: [[UInt8]]) -> Bool {
        guard let special = AddressRanges.classify(address, hostAddresses: hostAddresses) else { return true }
        return rules.contains { AddressRanges.explicitlyNamed(address, by: $0, range: special) }
    }

    /// Every TCP port a rule allows, merged; nil when some TCP rule allows every port.
    public var tcpPorts: [ClosedRange<UInt16>]? {
        let tcp = rules.filter { $0.proto == .tcp }
        if tcp.contains(where: { $0.ports.isEmpty }) { return nil }
        return EgressRuleParser.merge(tcp.flatMap(\.ports))
    }
}

/// A manifest rule the policy does not cover.
public struct EgressDenial: Error, Sendable, Equatable {
    public let rule: EgressRule
    public let message: String
}
