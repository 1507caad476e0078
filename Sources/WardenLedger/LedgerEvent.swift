/// The kinds of audit records. The raw value is the record's `event` member. Suggested
/// `details` members are listed per case (docs/LEDGER.md has the full table).
public enum LedgerEvent: String, Sendable, CaseIterable {
    /// A tool was added to the armory. details: name, version, digest, publisher kid.
    case toolAdded = "admission.tool_added"
    /// A tool's manifest and artifact were verified before a run. details: digest, kid.
    case toolVerified = "admission.tool_verified"
    /// A tool was rejected (bad signature, digest mismatch, ...). details: reason, code.
    case toolRejected = "admission.tool_rejected"
    /// An authorization was granted, revoked, or checked. details: digest, tenants, kid.
    case authorization = "authorization"
    /// A policy decision: allow, deny, approval_required. details: reasons, policy, request.
    case decision = "decision"
    case approvalRequested = "approval.requested"
    /// details: operation, approver kid, nonce, count.
    case approvalGranted = "approval.granted"
    case approvalDenied = "approval.denied"
    case approvalConsumed = "approval.consumed"
    /// details: execution_id, tool, digest, limits.
    case executionStarted = "execution.started"
    /// details: execution_id, exit, signal, timed_out, duration_ms, limits_hit.
    case executionFinished = "execution.finished"
    /// The drift monitor found the run's network rules changed and killed it.
    /// details: execution_id, drift, grant.
    case networkDrift = "network.drift"
    case keyAdded = "key.added"
    case keyRevoked = "key.revoked"
    /// A node opened the ledger for appending. details: pid, size_at_open.
    case ledgerOpened = "ledger.opened"
    /// An event sink failed to deliver an event. details: sink, event_id, event_type, attempts, error.
    case sinkDeliveryFailed = "sink.delivery_failed"
}
