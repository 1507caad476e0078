import WardenCore
import WardenPolicy
import WardenSandbox

/// What one `warden run` concluded, for the CLI to print and tests to inspect.
public struct RunOutcome: Sendable {
    /// How far the request got.
    public enum Verdict: String, Sendable {
        /// Admission failed (unknown tool, bad signature, unauthorized, tampered artifact).
        case rejected
        /// The policy denied it.
        case denied
        /// The policy requires an approval first.
        case approvalRequired = "approval_required"
        /// It ran; `report` says how it ended.
        case ran
        /// It was allowed but the sandbox could not be set up (fails closed, exit 126).
        case confinementFailed = "confinement_failed"
    }

    public var executionID: String
    public var verdict: Verdict
    /// The process exit status `warden run` returns.
    public var status: Int32
    /// Admission or decision error, when there was one.
    public var error: WardenError?
    public var decision: Decision?
    public var approval: ApprovalNeed?
    public var report: ExitReport?
    /// The ELF findings of a native artifact (`NativeArtifact.json`), nil otherwise.
    public var native: JSONValue?
    /// Ledger sequence numbers written for this request, in order.
    public var auditSeqs: [Int64]
    /// The CloudEvent emitted for the outcome (canonical JSON object).
    public var event: JSONValue?
    /// Milliseconds spent in each stage, in pipeline order.
    public var stageMillis: [(stage: String, millis: Double)]

    /// Records that the request stopped at `verdict` because of `error`.
    mutating func fail(_ error: WardenError, _ verdict: Verdict) {
        self.error = error
        status = error.exitCode
        self.verdict = verdict
    }
}
