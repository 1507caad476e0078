import WardenNet
import Foundation

/// A validated policy document (`version: 1`). Every field has a safe default: a field the
/// document omits denies (empty allowlists, egress denied) or takes the smallest limit.
/// Values are only produced by `PolicyLoader`, which rejects unknown and duplicate keys.
public struct Policy: Sendable, Hashable {
    public var version: Int
    public var name: String
    public var filesystem: FilesystemRules
    public var commands: CommandRules
    public var network: NetworkRules
    public var limits: ResourceLimits
    public var budget: BudgetRules
    public var window: TimeWindow
    public var approvals: ApprovalRules
    public var exposure: ExposureLabels
    public var admission: AdmissionRules

    /// The safe-default policy named `name`: nothing readable, nothing runnable.
    public init(name: String) {
        version = 1
        self.name = name
        filesystem = FilesystemRules()
        commands = CommandRules()
        network = NetworkRules()
        limits = ResourceLimits.defaults
        budget = BudgetRules()
        window = TimeWindow()
        approvals = ApprovalRules()
        exposure = ExposureLabels()
        admission = AdmissionRules()
    }
}

/// What a tool's native code may be (`admission.elf`). An ELF artifact for another machine is
/// refused whatever this says; the defaults refuse everything an ordinary build does not need.
public struct AdmissionRules: Sendable, Hashable {
    /// `admission.elf.static_only`: only statically linked artifacts (no `PT_INTERP`).
    public var staticOnly = false
    /// `admission.elf.interpreters`: the loaders an artifact may name (canonical host paths,
    /// compared after symlinks resolve). Empty: any loader inside the run's read-only trees.
    public var interpreters: [String] = []
    /// `admission.elf.allow_exec_stack`: admit an artifact whose manifest declares
    /// `exec_stack`; its run may then make memory executable (an executable stack is that).
    public var allowExecStack = false
    /// `admission.elf.allow_text_relocations`: the same for `text_relocations` (ld.so must
    /// write the code, then make it executable again).
    public var allowTextRelocations = false
    public init() {}
}

/// Filesystem trees. Paths are absolute, or relative to the request's working directory
/// when they start with `./`. `deny` globs are checked on every path a request names and
/// masked in the sandbox when they exist at start.
public struct FilesystemRules: Sendable, Hashable {
    public var readonly: [String] = []
    public var writable: [String] = []
    public var deny: [PathGlob] = []
    /// More entries kept read-only inside writable trees where they exist (globs), on top of
    /// `ProtectedNames.defaults` and every nested `.git`.
    public var protect: [PathGlob] = []
    /// Default protected entries this policy drops, each named exactly (recorded in the decision).
    public var unprotect: [String] = []
    /// Writable trees may be system directories or contain another user's home (`SystemTrees`).
    public var allowSystemWrites = false
    public init() {}
}

/// Which programs may run. `denyInlineCode` (default true) refuses interpreter inline-code
/// forms (`sh -c`, `python3 -c`, `perl -e`, awk programs ...) unless an exact structured
/// rule (no `*`, no `...`) allows that very argv.
public struct CommandRules: Sendable, Hashable {
    public var allow: [CommandRule] = []
    public var denyInlineCode = true
    /// `commands.libraries`: files or directories whose code the allowed programs may load
    /// (plugins, `dlopen`ed libraries) but not execute; only those inside a read-only tree
    /// and outside every writable tree count.
    public var libraries: [String] = []
    public init() {}
}

/// One `commands.allow` entry.
public struct CommandRule: Sendable, Hashable {
    /// A bare name (resolved against the sandbox PATH) or an absolute path.
    public var program: String
    /// nil: any arguments. Otherwise the argument patterns (after argv[0]).
    public var args: [ArgPattern]?
    /// 1-based position in `commands.allow`, for traces.
    public var index: Int
    /// Exposure labels a run of this command carries (trifecta), on top of the policy's.
    public var labels: ExposureLabels

    public init(program: String, args: [ArgPattern]?, index: Int, labels: ExposureLabels = []) {
        self.program = program
        self.args = args
        self.index = index
        self.labels = labels
    }

    /// True when the rule names every argument literally (no `*`, no `...`): only such a
    /// rule may allow an inline-code argv.
    public var isExact: Bool {
        guard let args else { return false }
        return args.allSatisfy { if case .exact = $0 { true } else { false } }
    }
}

/// A structured argument pattern.
public enum ArgPattern: Sendable, Hashable, CustomStringConvertible {
    /// Exactly this argument (compared byte for byte, no Unicode normalization).
    case exact(String)
    /// Any one argument that does not start with `-` (unless it follows a literal `--`).
    case one
    /// The rest of the arguments, whatever they are (only valid last).
    case rest

    public var description: String {
        switch self {
        case .exact(let s): s
        case .one: "*"
        case .rest: "..."
        }
    }
}

/// Network egress. Until network confinement lands, any allowed egress is refused at
/// decision time (fail closed).
public struct NetworkRules: Sendable, Hashable {
    public enum Egress: String, Sendable, Hashable { case deny, allow }
    public var egress: Egress = .deny
    public var allow: [EgressRule] = []
    /// `network.mode: audit-only` logs what would be refused and refuses nothing.
    public var auditOnly = false
    /// `network.unix_sockets`: let the tool create AF_UNIX sockets (off by default: a host
    /// daemon's socket inside a mounted tree would be reachable; socketpair always works).
    public var unixSockets = false
    public init() {}
}

/// Resource limits. A request may ask for less, never more.
public struct ResourceLimits: Sendable, Hashable {
    public var wallSeconds: Int64
    public var cpuSeconds: Int64
    public var memoryMB: Int64
    public var pids: Int64
    public var outputBytes: Int64

    public init(wallSeconds: Int64, cpuSeconds: Int64, memoryMB: Int64, pids: Int64, outputBytes: Int64) {
        self.wallSeconds = wallSeconds
        self.cpuSeconds = cpuSeconds
        self.memoryMB = memoryMB
        self.pids = pids
        self.outputBytes = outputBytes
    }

    /// The defaults when a policy omits a limit: small on purpose.
    public static let defaults = ResourceLimits(wallSeconds: 10, cpuSeconds: 5, memoryMB: 128, pids: 16, outputBytes: 1 << 20)
    /// The largest values a policy may declare (beyond these the number is a typo or an attack).
    public static let maxima = ResourceLimits(wallSeconds: 86_400, cpuSeconds: 86_400, memoryMB: 1 << 20, pids: 65_536, outputBytes: 1 << 34)

    static let fieldNames = ["wall_seconds", "cpu_seconds", "memory_mb", "pids", "output_bytes"]

    var asArray: [Int64] { [wallSeconds, cpuSeconds, memoryMB, pids, outputBytes] }
}

/// Per tenant and policy budgets. nil means the document did not set one: the default is
/// 0 executions (deny), so a policy must state its budget.
public struct BudgetRules: Sendable, Hashable {
    public var executions: Int64 = 0
    public var cpuSeconds: Int64 = 0
    public init() {}
    public static let maximum: Int64 = 1_000_000_000
}

/// The time window and the longest a session may last.
public struct TimeWindow: Sendable, Hashable {
    public var notBefore: Date?
    public var notAfter: Date?
    /// Maximum session duration in seconds from the session's first run (default 3600).
    public var maxSessionSeconds: Int64 = 3600
    public init() {}
}

/// Operations that can be gated by approval.
public enum Operation: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Any run at all.
    case exec
    /// A run with at least one writable tree.
    case write
    /// A run with network egress.
    case network
    /// A run that would complete the lethal trifecta.
    case trifecta

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// Approval rules: which operations need a signed approval, how long one is valid, and which
/// approver key ids may sign.
public struct ApprovalRules: Sendable, Hashable {
    public var requiredFor: [Operation] = []
    /// Longest validity of an approval token in seconds (default 300).
    public var ttlSeconds: Int64 = 300
    public var approvers: [String] = []
    public init() {}
    public static let maxTTL: Int64 = 86_400
}

/// Exposure labels for the lethal trifecta.
public struct ExposureLabels: Sendable, Hashable, OptionSet {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let privateData = ExposureLabels(rawValue: 1)
    public static let untrustedContent = ExposureLabels(rawValue: 2)
    public static let exfiltration = ExposureLabels(rawValue: 4)
    public static let all: ExposureLabels = [.privateData, .untrustedContent, .exfiltration]

    public init() { rawValue = 0 }

    /// The label spelled `name` in policies and manifests.
    public init?(name: String) {
        switch name {
        case "private_data": self = .privateData
        case "untrusted_content": self = .untrustedContent
        case "exfiltration": self = .exfiltration
        default: return nil
        }
    }

    /// Names as written in policies, in a fixed order.
    public var names: [String] {
        var out: [String] = []
        if contains(.privateData) { out.append("private_data") }
        if contains(.untrustedContent) { out.append("untrusted_content") }
        if contains(.exfiltration) { out.append("exfiltration") }
        return out
    }
}
