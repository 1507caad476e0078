import WardenPolicy
import WardenTrust

/// What a long-lived Warden (`warden serve`) keeps between runs so that it does not redo work
/// whose result provably cannot have changed; see each cache for why.
public final class RunCaches: Sendable {
    public let policies: PolicyCache
    public let artifacts: VerifiedArtifactCache
    public let signatures: SignatureMemo

    public init(policies: PolicyCache = PolicyCache(), artifacts: VerifiedArtifactCache = VerifiedArtifactCache(),
                signatures: SignatureMemo = SignatureMemo()) {
        self.policies = policies
        self.artifacts = artifacts
        self.signatures = signatures
    }
}
