import WardenCore
import WardenNet
import Foundation

/// The decision function. Pure: no I/O except through the caller-supplied `HostView`
/// (PATH search and symlink resolution, deterministic in tests), no clock (`now` is an
/// argument), no randomness. Every rule consulted is recorded in the trace; every failed
/// rule adds a `Denial`, so a refusal lists all its reasons.
public enum PolicyEngine {
    /// Decides `request` under `policy` as it would run on `host`.
    public static func decide(_ request: ExecutionRequest, _ policy: Policy, _ state: DecisionState, now: Date, host: any HostView) -> Decision {
        decide(request, PreparedPolicy(policy, host: host), state, now: now)
    }

    /// Decides `request` under a prepared policy (programs and absolute trees pre-resolved).
    public static func decide(_ request: ExecutionRequest, _ prepared: PreparedPolicy, _ state: DecisionState, now: Date) -> Decision {
        var ctx = Context(request: request, prepared: prepared, state: state, now: now)
        ctx.run()
        return ctx.finish()
    }
}

/// One evaluation; mutable scratch space for `PolicyEngine.decide`.
struct Context {
    let request: ExecutionRequest
    let prepared: PreparedPolicy
    let state: DecisionState
    let now: Date
    var policy: Policy { prepared.policy }
    var host: any HostView { prepared.host }

    var trace: [TraceStep] = []
    var denials: [Denial] = []
    var matchedRule: CommandRule?
    var executable: String?
    var cwd: NormalizedPath?
    var readonlyTrees: [(lexical: NormalizedPath, real: NormalizedPath)] = []
    var writableTrees: [(lexical: NormalizedPath, real: NormalizedPath)] = []
    var limits = ResourceLimits.defaults
    var network: Confinement.NetworkMode = .none
    var realCwd: NormalizedPath?

    init(request: ExecutionRequest, prepared: PreparedPolicy, state: DecisionState, now: Date) {
        self.request = request
        self.prepared = prepared
        self.state = state
        self.now = now
        trace.reserveCapacity(16)
    }

    mutating func pass(_ rule: String, _ detail: String) { trace.append(TraceStep(rule, .pass, detail)) }
    mutating func info(_ rule: String, _ detail: String) { trace.append(TraceStep(rule, .info, detail)) }
    mutating func fail(_ rule: String, _ code: String, _ detail: String) {
        trace.append(TraceStep(rule, .fail, detail))
        denials.append(Denial(code, "denied: \(detail) (\(rule))"))
    }

    mutating func run() {
        guard checkRequest() else { return }
        checkWindow()
        checkTrees()
        checkCommand()
        checkPaths()
        checkLimits()
        checkNetwork()
        checkBudget()
    }

    // MARK: request shape

    mutating func checkRequest() -> Bool {
        let t = request.tenant
        if t.isEmpty || t.utf8.count > 128 || t.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F }) {
            fail("request", "policy.request.invalid", "tenant must be 1-128 printable characters without spaces")
            return false
        }
        guard let first = request.argv.first, !first.isEmpty else {
            fail("request", "policy.request.invalid", "empty command")
            return false
        }
        if request.argv.contains(where: { $0.utf8.contains(0) }) {
            fail("request", "policy.request.invalid", "an argument contains a NUL byte")
            return false
        }
        guard let c = NormalizedPath(request.workingDirectory) else {
            fail("request", "policy.request.invalid", "working directory \"\(request.workingDirectory)\" is not an absolute path")
            return false
        }
        cwd = c
        return true
    }

    // MARK: time

    mutating func checkWindow() {
        let w = policy.window
        if let nb = w.notBefore, now < nb {
            fail("window.not_before", "policy.window.not_yet", "now \(RFC3339.format(now)) is before not_before \(RFC3339.format(nb))")
        } else if let na = w.notAfter, now >= na {
            fail("window.not_after", "policy.window.expired", "now \(RFC3339.format(now)) is at or after not_after \(RFC3339.format(na))")
        } else if w.notBefore == nil && w.notAfter == nil {
            pass("window", "no time window set")
        } else {
            trace.append(TraceStep(insideWindow: now, w.notBefore, w.notAfter))
        }
        if let start = state.sessionStartedAt {
            let age = now.timeIntervalSince(start)
            if age > Double(w.maxSessionSeconds) {
                fail("window.max_session_seconds", "policy.session.expired",
                     "session \(request.sessionID) started \(Int(age))s ago; the maximum is \(w.maxSessionSeconds)s")
            } else {
                trace.append(TraceStep(.sessionAge(request.sessionID, age: Int(max(0, age)), max: w.maxSessionSeconds)))
            }
        } else {
            trace.append(TraceStep(.sessionNew(request.sessionID)))
        }
    }

    // MARK: trees

    mutating func checkTrees() {
        guard let cwd else { return }
        readonlyTrees = trees(policy.filesystem.readonly, prepared.absoluteReadonly, "readonly", cwd)
        writableTrees = trees(policy.filesystem.writable, prepared.absoluteWritable, "writable", cwd)
        refuseTreesRedirectedInsideWritableTrees()
    }

    /// A tree whose path passes through a symlink inside a writable tree is refused: a tool
    /// could have planted that symlink on an earlier run to point the tree anywhere on the
    /// host (`./vendor` → `/root`). Symlinks elsewhere (`/lib64` → `usr/lib64`) are fine.
    mutating func refuseTreesRedirectedInsideWritableTrees() {
        // A tree whose path holds no symlink at all cannot be redirected (decide() runs per request).
        guard !writableTrees.isEmpty, readonlyTrees.contains(where: { $0.lexical != $0.real })
                || writableTrees.contains(where: { $0.lexical != $0.real }) else { return }
        func redirected(_ t: (lexical: NormalizedPath, real: NormalizedPath)) -> NormalizedPath? {
            guard t.lexical != t.real else { return nil }
            for w in writableTrees where t.lexical != w.lexical {
                // Where the tree would be if nothing below the writable tree were a symlink.
                let expected: NormalizedPath?
                if t.lexical.isWithin(w.lexical) {
                    expected = NormalizedPath(w.real.description + String(t.lexical.description.dropFirst(w.lexical.isRoot ? 0 : w.lexical.description.count)))
                } else if t.lexical.isWithin(w.real) {
                    expected = t.lexical
                } else {
                    continue
                }
                if let expected, expected != t.real { return w.real }
            }
            return nil
        }
        // Judged against the writable trees as given; refused trees are then not mounted.
        let readonly = readonlyTrees.map { ($0, redirected($0)) }
        let writable = writableTrees.map { ($0, redirected($0)) }
        for (key, list) in [("readonly", readonly), ("writable", writable)] {
            for case (let t, let w?) in list {
                fail("filesystem.\(key)", "policy.path.tree_redirected",
                     "tree \(t.lexical) resolves to \(t.real) through a symlink inside writable tree \(w), which a tool could have planted; name the real path")
            }
        }
        readonlyTrees = readonly.filter { $0.1 == nil }.map(\.0)
        writableTrees = writable.filter { $0.1 == nil }.map(\.0)
    }

    /// The existing, non-denied trees: absolute ones as prepared, `./` ones resolved now.
    mutating func trees(_ list: [String], _ prepared: [PreparedPolicy.Tree], _ key: String, _ cwd: NormalizedPath) -> [(lexical: NormalizedPath, real: NormalizedPath)] {
        var out: [(lexical: NormalizedPath, real: NormalizedPath)] = []
        var next = 0
        for (i, t) in list.enumerated() {
            var tree: PreparedPolicy.Tree
            if t.utf8.first == UInt8(ascii: "/"), next < prepared.count {
                tree = prepared[next]
                next += 1
            } else {
                tree = PreparedPolicy.Tree(String(t.dropFirst(t == "." ? 1 : 2)), relativeTo: cwd, host: host, deny: policy.filesystem.deny)
            }
            guard let lexical = tree.lexical, let real = tree.real else {
                info("filesystem.\(key)[\(i)]", "\(t) does not exist; not mounted")
                continue
            }
            if let g = tree.deniedBy {
                fail("filesystem.\(key)[\(i)]", "policy.path.tree_denied", "tree \(t) is covered by deny glob \(g.pattern)")
                continue
            }
            out.append((lexical, real))
        }
        return out
    }

    // MARK: commands

    mutating func checkCommand() {
        let argv = request.argv
        let name = argv[0]
        guard let found = PreparedPolicy.resolveProgram(name, host: host, cwd: cwd?.description) else {
            fail("commands", "policy.command.not_found", "command `\(name)` is not an executable file in the sandbox PATH (\(host.searchPath.joined(separator: ":")))")
            return
        }
        let invoked = InlineCode.basename(name)
        let invokedBytes = Array(invoked.utf8)
        let rules = policy.commands.allow
        let candidates = prepared.rulesByBasename[invokedBytes] ?? []
        if candidates.count < rules.count {
            trace.append(TraceStep(otherNames: rules.count - candidates.count, invoked: invoked))
        }
        for i in candidates {
            let rule = rules[i]
            guard let real = prepared.programs[i] else {
                trace.append(TraceStep(skipping: rule.index, program: rule.program, .notOnHost))
                continue
            }
            guard real.utf8.elementsEqual(found.real.utf8) else {
                trace.append(TraceStep(skipping: rule.index, program: rule.program, .resolvesElsewhere(rule: real, request: found.real)))
                continue
            }
            if let pats = rule.args, !Self.argsMatch(pats, argv.dropFirst()) {
                trace.append(TraceStep(skipping: rule.index, program: rule.program, .argsDiffer(pats)))
                continue
            }
            matchedRule = rule
            trace.append(TraceStep(.rule(rule, allows: found.real)))
            break
        }
        guard let rule = matchedRule else {
            fail("commands.allow", "policy.command.not_allowed", "command `\(name)` (\(found.real)) is not in the allowlist or any structured rule")
            return
        }
        if policy.commands.denyInlineCode {
            if rule.isExact {
                info("commands.deny_inline_code", "exact structured rule \(rule.index) allows this argv verbatim")
            } else if let why = InlineCode.detect(argv: argv, names: [found.found, found.real]) {
                fail("commands.deny_inline_code", "policy.command.inline_code", why)
                return
            } else {
                pass("commands.deny_inline_code", "no interpreter inline code")
            }
        } else {
            info("commands.deny_inline_code", "disabled by the policy")
        }
        guard let real = NormalizedPath(found.real) else { return }
        if let w = writableTrees.first(where: { real.isWithin($0.real) }) {
            fail("commands", "policy.command.writable_location", "\(found.real) lies in writable tree \(w.real); running writable code is refused")
            return
        }
        guard readonlyTrees.contains(where: { real.isWithin($0.real) }) else {
            fail("commands", "policy.command.outside_trees", "\(found.real) is not inside any filesystem.readonly tree")
            return
        }
        if let g = PathGlob.firstMatch(policy.filesystem.deny, real) {
            fail("commands", "policy.path.denied", "\(found.real) matches deny glob \(g.pattern)")
            return
        }
        executable = found.real
    }

    /// Structured argv matching: exact strings byte for byte, `*` one argument that does
    /// not look like an option (unless after a literal `--`), `...` the rest.
    static func argsMatch(_ pats: [ArgPattern], _ args: ArraySlice<String>) -> Bool {
        var i = args.startIndex
        var afterDoubleDash = false
        for p in pats {
            switch p {
            case .rest: return true
            case .one:
                guard i < args.endIndex else { return false }
                let a = args[i]
                if !afterDoubleDash && a.hasPrefix("-") { return false }
                i += 1
            case .exact(let s):
                guard i < args.endIndex, args[i].utf8.elementsEqual(s.utf8) else { return false }
                if s == "--" { afterDoubleDash = true }
                i += 1
            }
        }
        return i == args.endIndex
    }

    // MARK: paths

    mutating func checkPaths() {
        guard let cwd else { return }
        var accesses = [ExecutionRequest.PathAccess(cwd.description, write: false)]
        accesses += request.paths
        for (n, access) in accesses.enumerated() {
            let raw = access.path.hasPrefix("/") ? access.path : cwd.description + "/" + access.path
            guard let lexical = NormalizedPath(raw), let real = host.resolveForAccess(raw) else {
                fail(Self.pathRule(n), "policy.path.invalid", "path \"\(access.path.prefix(200))\" is not a valid path")
                continue
            }
            if n == 0 { realCwd = real }
            if let g = PathGlob.firstMatch(policy.filesystem.deny, lexical, real) {
                fail(Self.pathRule(n), "policy.path.denied", "\(access.path) (\(real)) matches deny glob \(g.pattern)")
                continue
            }
            func within(_ trees: [(lexical: NormalizedPath, real: NormalizedPath)]) -> (real: Bool, lexical: Bool) {
                (trees.contains { real.isWithin($0.real) }, trees.contains { lexical.isWithin($0.lexical) || lexical.isWithin($0.real) })
            }
            let w = within(writableTrees)
            let r = access.write ? (real: false, lexical: false) : within(readonlyTrees)
            let inside = (w.real || r.real) && (w.lexical || r.lexical)
            if inside {
                trace.append(TraceStep(.path(label: n, write: access.write, path: access.path, real: real)))
            } else {
                fail(Self.pathRule(n), access.write ? "policy.path.not_writable" : "policy.path.outside",
                     "\(access.write ? "write to" : "read of") \(access.path) (\(real)) is outside every filesystem.\(access.write ? "writable" : "readonly/writable") tree")
            }
        }
    }

    static func pathRule(_ n: Int) -> String { n == 0 ? "filesystem (working directory)" : "filesystem (path \(n))" }

    // MARK: limits, network, budget

    mutating func checkLimits() {
        let policyLimits = policy.limits
        guard let asked = request.limits else {
            limits = policyLimits
            pass("limits", "policy limits apply")
            return
        }
        var ok = true
        for (i, field) in ResourceLimits.fieldNames.enumerated() {
            let a = asked.asArray[i], p = policyLimits.asArray[i]
            let minimum: Int64 = field == "output_bytes" ? 0 : 1
            if a < minimum {
                fail("limits.\(field)", "policy.limits.invalid", "requested \(field) \(a) is below \(minimum)")
                ok = false
            } else if a > p {
                fail("limits.\(field)", "policy.limits.exceeds", "requested \(field) \(a) exceeds the policy's \(p)")
                ok = false
            }
        }
        if ok {
            limits = asked
            pass("limits", "requested limits are within the policy")
        }
    }

    mutating func checkNetwork() {
        let rules = policy.network
        if rules.egress == .allow && rules.auditOnly {
            // Audit-only: the policy's rules are the grant and nothing is refused; the proxy logs
            // what enforcement would have refused.
            network = .egress(EgressGrant(rules: rules.allow, auditOnly: true))
            pass("network.egress", "audit-only: nothing is refused; would allow \(rules.allow.map(\.description).joined(separator: ", "))")
        } else if request.egress.isEmpty {
            pass("network.egress", rules.egress == .allow ? "no egress requested: no network" : "deny: no network")
        } else if rules.egress == .deny {
            fail("network.egress", "policy.network.denied", "egress to \(request.egress.map(\.description).joined(separator: ", ")) is denied by the policy")
        } else {
            switch EgressGrant.intersect(manifest: request.egress, policy: rules.allow) {
            case .failure(let denial):
                fail("network.egress", "policy.network.denied", denial.message)
            case .success(let granted):
                network = .egress(EgressGrant(rules: granted))
                pass("network.egress", "allow: \(granted.map(\.description).joined(separator: ", "))")
            }
        }
    }

    mutating func checkBudget() {
        let b = policy.budget
        if state.executionsUsed >= b.executions {
            fail("budget.executions", "policy.budget.executions", "execution budget exhausted (\(state.executionsUsed) of \(b.executions) used)")
        } else {
            trace.append(TraceStep(.budget(rule: "budget.executions", used: state.executionsUsed, of: b.executions, reserving: nil)))
        }
        let cpu = limits.cpuSeconds
        if state.cpuSecondsUsed > b.cpuSeconds - cpu {
            fail("budget.cpu_seconds", "policy.budget.cpu", "CPU budget cannot cover \(cpu)s (\(state.cpuSecondsUsed) of \(b.cpuSeconds) used)")
        } else {
            trace.append(TraceStep(.budget(rule: "budget.cpu_seconds", used: state.cpuSecondsUsed, of: b.cpuSeconds, reserving: cpu)))
        }
    }

    // MARK: outcome

    func runLabels() -> ExposureLabels {
        var l = policy.exposure.union(request.exposure)
        if let r = matchedRule { l.formUnion(r.labels) }
        if !request.egress.isEmpty || policy.network.egress == .allow { l.insert(.exfiltration) }
        return l
    }

    mutating func finish() -> Decision {
        let labels = runLabels()
        var ops: [Operation] = [.exec]
        if !policy.filesystem.writable.isEmpty || request.paths.contains(where: \.write) { ops.append(.write) }
        if !request.egress.isEmpty { ops.append(.network) }
        let combined = state.sessionLabels.union(labels)
        if combined == .all {
            ops.append(.trifecta)
            info("exposure", "session \(request.sessionID) would hold private_data + untrusted_content + exfiltration: approval required")
        } else {
            trace.append(TraceStep(.exposure(combined)))
        }
        ops.sort()
        func decision(_ v: Decision.Verdict) -> Decision { Decision(verdict: v, trace: trace, runLabels: labels, operations: ops) }
        if !denials.isEmpty { return decision(.deny(denials)) }

        let required = ops.filter { $0 == .trifecta || policy.approvals.requiredFor.contains($0) }
        if !required.isEmpty {
            let op = required.map(\.rawValue).joined(separator: "+")
            let id = request.id(policyName: policy.name)
            if let reason = approvalMatch(op: op, id: id) {
                pass("approvals", reason)
            } else {
                info("approvals", "\(op) requires an approval for request \(id)")
                return decision(.approvalRequired(ApprovalNeed(operation: op, requestID: id)))
            }
        } else {
            pass("approvals", "no approval required")
        }
        guard let executable, let cwd else { return decision(.deny([Denial("policy.internal", "denied: incomplete evaluation")])) }
        // Candidates are deduplicated and sorted once, in PreparedPolicy; per request only
        // the trees (which may be relative to the working directory) filter them.
        var executables = prepared.fixedExecutables ?? PreparedPolicy.executables(prepared.allowedPrograms, readonly: readonlyTrees.map(\.real), writable: writableTrees.map(\.real))
        // The request's own program, kept in byte order.
        let key = Array(executable.utf8)
        let at = executables.firstIndex { !$0.utf8.lexicographicallyPrecedes(key) } ?? executables.endIndex
        if at == executables.endIndex || !executables[at].utf8.elementsEqual(key) { executables.insert(executable, at: at) }
        var confinement = Confinement(
            readonly: readonlyTrees.map(\.real.description), writable: writableTrees.map(\.real.description),
            denyGlobs: policy.filesystem.deny, maskedPaths: [], executable: executable, argv: request.argv,
            executables: executables, workingDirectory: (realCwd ?? cwd).description,
            limits: limits, network: network, unixSockets: policy.network.unixSockets)
        let fsRules = policy.filesystem
        confinement.protectedNames = ProtectedNames.defaults.filter { !fsRules.unprotect.contains($0) }
        confinement.unprotected = fsRules.unprotect
        confinement.protectGlobs = fsRules.protect + (fsRules.unprotect.contains(".git") ? [] : PathGlob.nestedGit)
        confinement.allowSystemWrites = fsRules.allowSystemWrites
        let ro = readonlyTrees.map(\.real), rw = writableTrees.map(\.real)
        confinement.libraries = policy.commands.libraries.compactMap { p in
            guard let real = host.realPath(p).flatMap({ NormalizedPath($0) }),
                  ro.contains(where: { real.isWithin($0) }), !rw.contains(where: { real.isWithin($0) }) else { return nil }
            return real.description
        }
        return decision(.allow(confinement))
    }

    /// A reason when a verified approval covers this request, else nil (with trace lines
    /// saying why each presented approval does not apply).
    mutating func approvalMatch(op: String, id: String) -> String? {
        for a in state.approvals {
            let why: String
            if a.requestID != id { why = "is for request \(a.requestID), not \(id)" }
            else if a.tenant != request.tenant { why = "is for tenant \(a.tenant), not \(request.tenant)" }
            else if a.operation != op { why = "approves \(a.operation), not \(op)" }
            else if a.expiresAt <= now { why = "expired at \(RFC3339.format(a.expiresAt))" }
            else if a.expiresAt.timeIntervalSince(now) > Double(policy.approvals.ttlSeconds) { why = "outlives the policy TTL of \(policy.approvals.ttlSeconds)s" }
            else if !policy.approvals.approvers.contains(a.approverKid) { why = "is signed by \(a.approverKid), who is not in approvals.approvers" }
            else { return "\(op) approved by \(a.approverKid) until \(RFC3339.format(a.expiresAt)) (nonce \(a.nonce))" }
            trace.append(TraceStep("approvals", .skip, "approval \(a.nonce) \(why)"))
        }
        return nil
    }
}
