import Foundation
import WardenCore
import WardenTrust

/// The effectful edge of the Decide stage, for `warden run`: read state, decide, verify an
/// approval token, and make an allowed decision durable (budget reservation, nonce, session
/// labels) in one transaction. Call `complete` after the run with the measured CPU time.
public struct PolicyGate: Sendable {
    public let store: PolicyStore
    public let trust: TrustStore
    /// Where deny-glob walks keep their directory listings between runs (nil: walk every
    /// tree in full each time). See `DenyGlobMasker`.
    public let maskCacheDirectory: String?

    public init(store: PolicyStore, trust: TrustStore, maskCacheDirectory: String? = nil) {
        self.store = store
        self.trust = trust
        self.maskCacheDirectory = maskCacheDirectory
    }

    /// What `authorize` concluded.
    public enum Outcome: Sendable {
        /// Run it, confined by `confinement` (with `maskedPaths` expanded); close
        /// `reservation` with `complete` afterwards.
        case allowed(Decision, Confinement, PolicyStore.Reservation)
        /// Recorded as pending; an approver runs `warden approve <need.requestID>`.
        case approvalRequired(Decision, ApprovalNeed)
        /// Refused; the decision holds the reasons and trace.
        case denied(Decision)
    }

    /// Decides `request` and, when allowed, reserves budget and consumes the approval.
    /// Token problems and lost budget races throw `WardenError` (denied, exit 126).
    /// `durability` applies to the reservation (and approval consumption) of an allowed run.
    public func authorize(_ request: ExecutionRequest, policy: PreparedPolicy, approvalToken: String?, now: Date,
                          durability: PolicyStore.Durability = .synced) throws(WardenError) -> Outcome {
        let p = policy.policy
        var state = try store.state(tenant: request.tenant, session: request.sessionID, policyName: p.name)
        var decision = PolicyEngine.decide(request, policy, state, now: now)
        var approval: VerifiedApproval?
        if case .approvalRequired(let need) = decision.verdict {
            guard let approvalToken else {
                try store.recordPending(need, request: request, policy: p, now: now)
                return .approvalRequired(decision, need)
            }
            let verified = try ApprovalToken.verify(approvalToken, need: need, request: request, policy: p, trust: trust, store: store, now: now)
            state.approvals = [verified]
            approval = verified
            decision = PolicyEngine.decide(request, policy, state, now: now)
        }
        switch decision.verdict {
        case .deny: return .denied(decision)
        case .approvalRequired(let need):
            try store.recordPending(need, request: request, policy: p, now: now)
            return .approvalRequired(decision, need)
        case .allow(var confinement):
            // Mask before reserving: if the walk fails (closed), nothing is spent or consumed.
            confinement.maskedPaths = try DenyGlobMasker.expand(confinement.denyGlobs, under: confinement.readonly + confinement.writable,
                                                                cacheDirectory: maskCacheDirectory)
            // Protected entries deeper in writable trees (nested repositories, the policy's own
            // globs): kept read-only where they exist when the run starts.
            confinement.readOnlyPaths = try DenyGlobMasker.expand(confinement.protectGlobs, under: confinement.writable,
                                                                  cacheDirectory: maskCacheDirectory)
            let reservation = try store.admit(decision, request: request, policy: p, approval: approval, now: now, durability: durability)
            return .allowed(decision, confinement, reservation)
        }
    }

    /// Charges the measured CPU time of a finished run (rounded up to whole seconds).
    public func complete(_ reservation: PolicyStore.Reservation, cpuSeconds: Double, durability: PolicyStore.Durability = .synced) throws(WardenError) {
        try store.charge(reservation, cpuSeconds: cpuSeconds, durability: durability)
    }
}
