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
        _ = try nftPath()
    }

    /// nftables' `nft`; missing → the run is refused.
    static func nftPath() throws(WardenError) -> String {
        for p in nftCandidates where access(p, X_OK) == 0 { return p }
        throw .denied("sandbox.nft_missing",
                      "network egress needs nftables' nft (apt-get install nftables); refusing to run with a network grant")
    }
}
