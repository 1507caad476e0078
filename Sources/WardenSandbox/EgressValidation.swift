#if canImport(Glibc)
import Glibc
#endif
import WardenCore
import WardenNet

/// What an egress grant needs before anything runs; refused (fail closed) otherwise.
enum EgressValidation {
    static let nftCandidates = ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft", "/bin/nft"]

    static func validate(_ egress: SandboxSpec.Egress?) throws(WardenError) {
        guard let egress, !egress.grant.rules.isEmpty else {
            throw .usage("sandbox.egress_empty", "network mode egress needs at least one rule")
        }
        for rule in egress.grant.rules where rule.proto == .udp {
            // A UDP datagram's original destination is not recoverable behind a redirect, so
            // Warden has no UDP relay yet: refuse rather than let UDP through unchecked.
            throw .denied("sandbox.udp_unsupported",
                          "egress rule \(rule): UDP egress is not enforced by this Warden build (only DNS through Warden's resolver); refusing the run")
        }
        _ = try nftPath()
    }

    /// nftables' `nft`; missing → the run is refused.
    static func nftPath() throws(WardenError) -> String {
        for p in nftCandidates where access(p, X_OK) == 0 { return p }
        throw .denied("sandbox.nft_missing",
                      "network egress needs nftables' nft (apt-get install nftables); refusing to run with a network grant")
    }
}
