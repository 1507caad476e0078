import WardenPolicy

/// What a long-lived Warden (`warden serve`) keeps between runs so that it does not redo work
/// whose result provably cannot have changed; see each cache for why.
public final class RunCaches: Sendable {
    public let policies: PolicyCache

    public init(policies: PolicyCache = PolicyCache()) {
        self.policies = policies
    }
}
