import Foundation

/// The persistent facts `decide` consults, read by the caller (from `PolicyStore`) before
/// deciding: budget use, the session's labels and start, and verified approvals.
public struct DecisionState: Sendable, Hashable {
    /// Executions charged or reserved so far for (tenant, policy).
    public var executionsUsed: Int64
    /// CPU-seconds charged or reserved so far for (tenant, policy).
    public var cpuSecondsUsed: Int64
    /// Labels the session has accumulated in earlier runs.
    public var sessionLabels: ExposureLabels
    /// When the session's first run was allowed; nil for a new session.
    public var sessionStartedAt: Date?
    /// Approvals whose signatures, signer role and nonce the caller has already verified
    /// (`ApprovalVerifier`); `decide` checks their binding to this request.
    public var approvals: [VerifiedApproval]

    public init(executionsUsed: Int64 = 0, cpuSecondsUsed: Int64 = 0, sessionLabels: ExposureLabels = [],
                sessionStartedAt: Date? = nil, approvals: [VerifiedApproval] = []) {
        self.executionsUsed = executionsUsed
        self.cpuSecondsUsed = cpuSecondsUsed
        self.sessionLabels = sessionLabels
        self.sessionStartedAt = sessionStartedAt
        self.approvals = approvals
    }
}

/// The claims of an approval token whose signature has been verified.
public struct VerifiedApproval: Sendable, Hashable {
    public var requestID: String
    public var operation: String
    public var tenant: String
    public var expiresAt: Date
    public var nonce: String
    /// Key id of the approver key that signed it.
    public var approverKid: String

    public init(requestID: String, operation: String, tenant: String, expiresAt: Date, nonce: String, approverKid: String) {
        self.requestID = requestID
        self.operation = operation
        self.tenant = tenant
        self.expiresAt = expiresAt
        self.nonce = nonce
        self.approverKid = approverKid
    }
}
