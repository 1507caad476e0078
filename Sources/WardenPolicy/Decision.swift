import WardenCore
import WardenNet
import Foundation

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

    /// Why a command rule did not match. Kept structured so that skipping 50 rules costs
    /// no string formatting; the text is rendered only when the trace is read.
    enum SkipReason: Sendable, Hashable {
        case notOnHost
        case resolvesElsewhere(rule: String, request: String)
        case argsDiffer([ArgPattern])
    }

    enum Payload: Sendable, Hashable {
        case text(rule: String, detail: String)
        case commandSkip(index: Int, program: String, SkipReason)
        /// The rules naming other programs, never consulted (looked up by basename).
        case otherNames(count: Int, invoked: String)
        case insideWindow(now: Date, notBefore: Date?, notAfter: Date?)
        /// Passing steps whose text is only needed when someone reads the trace.
        case passed(Passed)
    }

    enum Passed: Sendable, Hashable {
        case sessionNew(String)
        case sessionAge(String, age: Int, max: Int64)
        case rule(CommandRule, allows: String)
        case path(label: Int, write: Bool, path: String, real: NormalizedPath)
        case budget(rule: String, used: Int64, of: Int64, reserving: Int64?)
        case exposure(ExposureLabels)
    }

    init(_ passed: Passed) {
        payload = .passed(passed)
        outcome = .pass
    }

    let payload: Payload
    public let outcome: Outcome

    public init(_ rule: String, _ outcome: Outcome, _ detail: String) {
        payload = .text(rule: rule, detail: detail)
        self.outcome = outcome
    }

    init(insideWindow now: Date, _ notBefore: Date?, _ notAfter: Date?) {
        payload = .insideWindow(now: now, notBefore: notBefore, notAfter: notAfter)
        outcome = .pass
    }

    init(otherNames count: Int, invoked: String) {
        payload = .otherNames(count: count, invoked: invoked)
        outcome = .skip
    }

    init(skipping index: Int, program: String, _ reason: SkipReason) {
        payload = .commandSkip(index: index, program: program, reason)
        outcome = .skip
    }

    /// The rule or section consulted (`commands.allow[3]`, `window`, `budget.executions`).
    public var rule: String {
        switch payload {
        case .text(let rule, _): rule
        case .commandSkip(let index, _, _): "commands.allow[\(index)]"
        case .otherNames: "commands.allow"
        case .insideWindow: "window"
        case .passed(let p):
            switch p {
            case .sessionNew, .sessionAge: "window.max_session_seconds"
            case .rule(let r, _): "commands.allow[\(r.index)]"
            case .path(let n, _, _, _): n == 0 ? "filesystem (working directory)" : "filesystem (path \(n))"
            case .budget(let rule, _, _, _): rule
            case .exposure: "exposure"
            }
        }
    }

    /// What the rule concluded, in words.
    public var detail: String {
        switch payload {
        case .text(_, let detail): return detail
        case .passed(let p):
            switch p {
            case .sessionNew(let id): return "session \(id) starts with this run"
            case .sessionAge(let id, let age, let max): return "session \(id) is \(age)s old (max \(max)s)"
            case .rule(let r, let real):
                let args = r.args.map { " " + $0.map(\.description).joined(separator: " ") } ?? ""
                return "`\(r.program)\(args)`\(r.args == nil ? " (any arguments)" : "") allows \(real)"
            case .path(_, let write, let path, let real): return "\(write ? "write" : "read") \(path) → \(real)"
            case .budget(_, let used, let of, let reserving):
                return "\(used) of \(of) used" + (reserving.map { "; reserving \($0)" } ?? "")
            case .exposure(let l): return "session labels [\(l.names.joined(separator: ", "))] do not complete the trifecta"
            }
        case .insideWindow(let now, let nb, let na):
            return "now \(RFC3339.format(now)) is inside [\(nb.map(RFC3339.format) ?? "-∞"), \(na.map(RFC3339.format) ?? "+∞"))"
        case .otherNames(let count, let invoked):
            return "\(count) rule\(count == 1 ? "" : "s") name\(count == 1 ? "s" : "") another program than `\(invoked)`"
        case .commandSkip(_, let program, let reason):
            switch reason {
            case .notOnHost: return "`\(program)` is not an executable on this host"
            case .resolvesElsewhere(let rule, let request): return "`\(program)` resolves to \(rule), the request to \(request)"
            case .argsDiffer(let pats): return "arguments do not match [\(pats.map(\.description).joined(separator: ", "))]"
            }
        }
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
    /// Existing paths matching `denyGlobs` inside the trees, to be masked. Empty from the pure
    /// `decide`; filled by `PolicyGate.authorize` (via `DenyGlobMasker`) before admitting.
    public var maskedPaths: [String] = []
    /// The program to execute: the PATH-resolved path with every symlink resolved.
    public var executable: String
    /// The argv passed to it (argv[0] as the request gave it, for multi-call binaries).
    public var argv: [String]
    /// Canonical paths the run may execute (Landlock execute allowlist), sorted by bytes:
    /// the request's own program plus every program the policy allows with any arguments
    /// that lies under a read-only tree (programs allowed only by structured argv rules are
    /// not executable by children, since the kernel cannot check argv). The sandbox must add
    /// the ELF interpreter (ld.so) itself.
    public var executables: [String]
    /// Canonical paths whose code may be loaded but not executed (`commands.libraries`
    /// inside a read-only tree and outside every writable tree).
    public var libraries: [String] = []
    /// Working directory (canonical).
    public var workingDirectory: String
    /// Effective limits: the request's when given (each ≤ policy), else the policy's.
    public var limits: ResourceLimits
    /// Network: `.none`, or the effective egress grant (manifest ∩ policy, or audit-only).
    public var network: NetworkMode
    /// The policy's `network.unix_sockets`: AF_UNIX sockets may be created.
    public var unixSockets = false
    /// Entries kept read-only at the top of writable trees (`ProtectedNames.defaults` less
    /// the policy's `filesystem.unprotect`).
    public var protectedNames: [String] = ProtectedNames.defaults
    /// What the policy unprotected (recorded in the decision).
    public var unprotected: [String] = []
    /// Globs of entries kept read-only inside writable trees: the policy's `filesystem.protect`
    /// and, unless `.git` is unprotected, every nested `.git`.
    public var protectGlobs: [PathGlob] = []
    /// Existing matches of `protectGlobs` inside the writable trees; filled by `PolicyGate.authorize`.
    public var readOnlyPaths: [String] = []
    /// The policy's `filesystem.allow_system_writes`.
    public var allowSystemWrites = false

    public enum NetworkMode: Sendable, Hashable {
        /// A fresh network namespace with no usable interface (loopback down) and TCP denied by Landlock.
        case none
        /// Egress under this grant only (docs/NETWORK.md).
        case egress(EgressGrant)
    }
}
