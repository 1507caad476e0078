/// The outcome of `PolicyEngine.decide`.
public struct Decision: Sendable, Hashable {
    public enum Verdict: Sendable, Hashable {
        /// Run, confined as described.
        case allow(Confinement)
        /// Refused; at least one reason.
        case deny([Denial])
        /// Allowed only with a signed approval for `operation` on request `requestID`.
        case approvalRequired(ApprovalNeed)
    }

    public var verdict: Verdict
    /// Every rule consulted, in order, and what it concluded.
    public var trace: [TraceStep]
    /// Exposure labels this run carries (policy + matched rule + manifest + egress).
    public var runLabels: ExposureLabels
    /// Operations this run performs (exec, write, network, trifecta).
    public var operations: [Operation]

    public var isAllowed: Bool { if case .allow = verdict { true } else { false } }
    public var denials: [Denial] { if case .deny(let d) = verdict { d } else { [] } }

    /// The human-readable trace, one line per step.
    public var traceText: [String] { trace.map(\.description) }
}

/// Why a request was refused: a stable dotted code and one human line naming the rule.
public struct Denial: Sendable, Hashable, CustomStringConvertible {
    public let code: String
    public let message: String
    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { "\(message) [\(code)]" }
}

/// An approval the request needs.
public struct ApprovalNeed: Sendable, Hashable {
    /// The operations needing approval, joined canonically (`network+write`); the token's
    /// `op` must equal it.
    public let operation: String
    /// `sha256:<hex>` of the canonical request.
    public let requestID: String
}

/// One line of a decision trace.
public struct TraceStep: Sendable, Hashable, CustomStringConvertible {
    public enum Outcome: String, Sendable, Hashable { case pass, fail, skip, info }
    /// The rule or section consulted (`commands.allow[3]`, `window`, `budget`).
    public let rule: String
    public let outcome: Outcome
    public let detail: String

    public init(_ rule: String, _ outcome: Outcome, _ detail: String) {
        self.rule = rule
        self.outcome = outcome
        self.detail = detail
    }

    public var description: String { "\(outcome.rawValue): \(rule): \(detail)" }
}

/// What an allowed run may touch: the sandbox is built from this value and nothing else.
/// All paths are absolute and canonical (symlinks resolved), because that is what the
/// kernel (Landlock, mounts) enforces.
public struct Confinement: Sendable, Hashable {
    /// Trees mounted and allowed read-only.
    public var readonly: [String]
    /// Trees mounted and allowed read-write.
    public var writable: [String]
    /// Deny globs to mask: expand with `DenyGlobMasker.expand` when the sandbox starts and
    /// hide every existing match (read/write/exec denied).
    public var denyGlobs: [PathGlob]
    /// The program to execute: the PATH-resolved path with every symlink resolved.
    public var executable: String
    /// The argv passed to it (argv[0] as the request gave it, for multi-call binaries).
    public var argv: [String]
    /// Canonical paths the run may execute (Landlock execute allowlist): every program the
    /// policy allows that exists under a read-only tree. The sandbox must add the ELF
    /// interpreter (ld.so) itself.
    public var executables: [String]
    /// Working directory (canonical).
    public var workingDirectory: String
    /// Effective limits: the request's when given (each ≤ policy), else the policy's.
    public var limits: ResourceLimits
    /// Network: always `.none` until network confinement exists.
    public var network: NetworkMode

    public enum NetworkMode: Sendable, Hashable {
        /// A fresh network namespace with loopback only.
        case none
        /// Egress to these targets only (not issued yet: decide refuses egress).
        case allow([NetworkTarget])
    }
}
