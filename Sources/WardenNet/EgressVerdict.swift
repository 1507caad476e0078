/// The proxy's decision for one TCP connection, from the destination it was addressed to, the
/// names the run's DNS stub pinned to that address, and (for hostname rules) the TLS
/// ClientHello's server name. Pure: the proxy gathers the facts, this decides.
public struct EgressVerdict: Sendable, Equatable {
    public var allowed: Bool
    /// The name the connection is attributed to (a hostname rule's pinned name or the SNI).
    public var name: String?
    public var reason: String

    /// Whether the proxy must read the ClientHello before deciding: only when no address rule
    /// allows the destination but a hostname rule might.
    public static func needsServerName(grant: EgressGrant, address: [UInt8], port: UInt16,
                                       pinnedNames: [String], hostAddresses: [[UInt8]]) -> Bool {
        grant.rule(forAddress: address, port: port, proto: .tcp, hostAddresses: hostAddresses) == nil
            && pinnedNames.contains { grant.rule(forName: $0, port: port, proto: .tcp) != nil }
    }

    /// Decides. `pinnedNames`: names whose pinned answers include `address`; `pinned(name)`:
    /// whether `name` has `address` among its pinned answers; `hello`: the peeked ClientHello,
    /// nil when the client sent nothing in time or the protocol is not TLS.
    public static func decide(grant: EgressGrant, address: [UInt8], port: UInt16, pinnedNames: [String],
                              hostAddresses: [[UInt8]], hello: TLSClientHello.Peek?) -> EgressVerdict {
        let dst = "\(IPAddressText.format(address)):\(port)"
        if let rule = grant.rule(forAddress: address, port: port, proto: .tcp, hostAddresses: hostAddresses) {
            return EgressVerdict(allowed: true, name: nil, reason: "rule \(rule)")
        }
        let candidates = pinnedNames.filter { grant.rule(forName: $0, port: port, proto: .tcp) != nil }.sorted()
        guard let first = candidates.first else {
            if !pinnedNames.isEmpty {
                return EgressVerdict(allowed: false, name: pinnedNames.sorted().first,
                                     reason: "no rule allows port \(port) of \(pinnedNames.sorted().joined(separator: ", "))")
            }
            return EgressVerdict(allowed: false, name: nil,
                                 reason: "no rule allows \(dst) (an address must match a CIDR rule or come from an allowed name's DNS answer)")
        }
        switch hello {
        case .hello(let serverName, let ech, _)?:
            if ech {
                return EgressVerdict(allowed: false, name: first,
                                     reason: "encrypted ClientHello hides the server name; hostname rules need a visible SNI")
            }
            guard let sni = serverName else {
                return EgressVerdict(allowed: true, name: first, reason: "pinned answer of \(first) (TLS without SNI)")
            }
            if candidates.contains(sni) {
                return EgressVerdict(allowed: true, name: sni, reason: "SNI \(sni) matches the pinned name")
            }
            if grant.rule(forName: sni, port: port, proto: .tcp) != nil {
                return EgressVerdict(allowed: false, name: sni,
                                     reason: "domain fronting: SNI \(sni) did not resolve to \(IPAddressText.format(address)) (pinned for \(candidates.joined(separator: ", ")))")
            }
            return EgressVerdict(allowed: false, name: sni, reason: "SNI \(sni) is not allowed")
        case .malformed(let why)?:
            return EgressVerdict(allowed: false, name: first, reason: "malformed TLS ClientHello: \(why)")
        case .needMore?:
            // A ClientHello begun and left unfinished could carry any name later.
            return EgressVerdict(allowed: false, name: first, reason: "incomplete TLS ClientHello")
        case .notTLS?, nil:
            return EgressVerdict(allowed: true, name: first, reason: "pinned answer of \(first)")
        }
    }
}
