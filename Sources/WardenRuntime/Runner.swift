import Foundation
import WardenCore
import WardenNet
import WardenEvents
import WardenHome
import WardenLedger
import WardenPolicy
import WardenSandbox
import WardenTrust

/// The pipeline behind `warden run`: Admit → Decide → Confine → Record → Emit.
///
/// Every stage's outcome goes to the ledger, and the records of a run are durable before
/// anything leaves Warden: admission, decision and approval are committed together with
/// `execution.started` in one group commit before the sandbox starts, and the outcome in a
/// second one before `run` returns. A record that cannot be written stops the run (fail
/// closed: nothing runs unrecorded); a refused request commits its records before returning.
public final class Runner: @unchecked Sendable {
    public let home: Home
    public let trust: TrustStore
    public let armory: Armory
    public let authorizations: Authorizations
    public let gate: PolicyGate
    public let ledger: Ledger
    public let emitter: EventEmitter?
    public let node: String
    /// Where the tool's output streams live (nil: discarded, only captured).
    let output: SandboxOutput?
    /// Who asked, as recorded in the ledger.
    let actor: String
    /// A long-lived process's parsed policies and verified artifacts (nil: none, one-shot).
    let caches: RunCaches?

    public init(home: Home, db: WardenDatabase, ledger: Ledger, node: String, emitter: EventEmitter?,
                output: SandboxOutput?, actor: String, caches: RunCaches? = nil) {
        self.home = home
        trust = TrustStore(home: home, db: db, signatures: caches?.signatures)
        armory = Armory(trust: trust)
        authorizations = Authorizations(trust: trust)
        gate = PolicyGate(store: PolicyStore(db: db), trust: trust, maskCacheDirectory: home.cacheDirectory)
        self.ledger = ledger
        self.node = node
        self.emitter = emitter
        self.output = output
        self.actor = actor
        self.caches = caches
    }

    /// Runs `request` through every stage, blocking the calling thread (the sandbox is
    /// supervised synchronously; a server calls this from a thread of its own). Never throws: every failure becomes an outcome
    /// with its exit status, recorded and emitted, except a failure to record, which is
    /// returned as an error outcome without running anything further.
    public func run(_ request: RunRequest, now: Date = Date()) -> RunOutcome {
        var clock = StageClock()
        var outcome = RunOutcome(executionID: UUID().uuidString.lowercased(), verdict: .rejected, status: WardenExit.denied,
                                 error: nil, decision: nil, approval: nil, report: nil, auditSeqs: [], event: nil, stageMillis: [])
        // Records staged by the stages, committed together at each flush.
        var log: [LedgerEntry] = []
        do throws(WardenError) {
            // ── Admit ──────────────────────────────────────────────────────────────
            let admitted: Admitted
            do throws(WardenError) {
                admitted = try admit(request, now: now)
            } catch {
                outcome.fail(error, .rejected)
                clock.lap("admit")
                stage(&log, .toolRejected, request, outcome, subject: request.tool.description, decision: "deny",
                      details: ["code": .string(error.code), "reason": .string(error.message)])
                return try conclude(&outcome, &log, &clock, lapping: "record", request, manifest: nil, jws: nil,
                                          decision: "deny", reasons: [error.description])
            }
            let m = admitted.manifest
            defer { admitted.artifact.close() }
            outcome.native = admitted.native?.json
            var verifiedDetails: [String: JSONValue] = ["digest": .string(m.digest.description), "publisher": .string(m.issuer),
                                                        "authorizers": .array(admitted.authorizers.map { .string($0) })]
            if let native = outcome.native { verifiedDetails["native"] = native }
            stage(&log, .toolVerified, request, outcome, subject: m.reference, decision: "allow", details: verifiedDetails)
            clock.lap("admit")

            // ── Decide ─────────────────────────────────────────────────────────────
            let gateOutcome: PolicyGate.Outcome
            let policyName: String
            let asked: ExecutionRequest
            var native = NativeAdmission.Admitted()
            do throws(WardenError) {
                let (prepared, execRequest) = try decideInputs(request, admitted)
                asked = execRequest
                policyName = prepared.policy.name
                try refuseWritableInputs(request, policyFile: try policyPath(request), writable: prepared.policy.filesystem.writable)
                try refuseSystemTrees(prepared.policy.filesystem)
                if let artifact = admitted.native {
                    native = try NativeAdmission.check(artifact, manifest: m, rules: prepared.policy.admission,
                                                       readonly: prepared.policy.filesystem.readonly,
                                                       writable: prepared.policy.filesystem.writable)
                }
                // Deferred sync: the next ledger commit (synced, on the same database) persists the
                // reservation and approval consumption before the tool starts.
                gateOutcome = try gate.authorize(execRequest, policy: prepared, approvalToken: request.approvalToken, now: now,
                                                 durability: .deferred)
            } catch {
                outcome.fail(error, .denied)
                stage(&log, .decision, request, outcome, subject: m.reference, decision: "deny",
                      details: ["code": .string(error.code), "reason": .string(error.message)])
                return try conclude(&outcome, &log, &clock, lapping: "decide", request, manifest: m, jws: admitted.jws,
                                          decision: "deny", reasons: [error.description])
            }
            switch gateOutcome {
            case .denied(let decision):
                outcome.decision = decision
                outcome.verdict = .denied
                let reasons = decision.denials.map(\.description)
                stage(&log, .decision, request, outcome, subject: m.reference, decision: "deny",
                      details: ["policy": .string(policyName), "reasons": .array(reasons.map { .string($0) }),
                                "trace": .array(decision.traceText.map { .string($0) })])
                return try conclude(&outcome, &log, &clock, lapping: "decide", request, manifest: m, jws: admitted.jws,
                                          decision: "deny", reasons: reasons)
            case .approvalRequired(let decision, let need):
                outcome.decision = decision
                outcome.approval = need
                outcome.verdict = .approvalRequired
                stage(&log, .approvalRequested, request, outcome, subject: m.reference, decision: "approval_required",
                      // The exact request (argv, cwd, paths, egress, limits) whose canonical
                      // SHA-256 is request_id: an auditor sees what an approval would cover
                      // without the live database.
                      details: ["policy": .string(policyName), "operation": .string(need.operation),
                                "request_id": .string(need.requestID), "request": asked.canonical(policyName: policyName)])
                return try conclude(&outcome, &log, &clock, lapping: "decide", request, manifest: m, jws: admitted.jws,
                                          decision: "approval_required",
                                          reasons: ["approval required for \(need.operation): warden approve \(need.requestID) --key APPROVER"])
            case .allowed(let decision, let confinement, let reservation):
                outcome.decision = decision
                let protection = protectionDetails(confinement)
                stage(&log, .decision, request, outcome, subject: m.reference, decision: "allow",
                      details: ["policy": .string(policyName), "operations": .array(decision.operations.map { .string($0.rawValue) }),
                                "executables": .array(confinement.executables.map { .string($0) }),
                                "libraries": .array(confinement.libraries.map { .string($0) }),
                                "network": Self.networkDetail(confinement.network),
                                "native_libraries": native.libraries].merging(protection) { a, _ in a })
                if let token = request.approvalToken {
                    // The gate verified the token; its fields name who approved what, for the record.
                    let parsed = try? JWS.parse(token)
                    stage(&log, .approvalConsumed, request, outcome, subject: m.reference, decision: "allow",
                          details: ["operations": .array(decision.operations.map { .string($0.rawValue) }),
                                               "count": .int(Int64(decision.operations.count)),
                                               "approver": .string(parsed?.kid ?? ""),
                                               "request_id": parsed?.payload["rid"] ?? .null,
                                               "approved_operation": parsed?.payload["op"] ?? .null,
                                               "nonce": parsed?.payload["nonce"] ?? .null])
                }
                clock.lap("decide")

                // ── Confine ────────────────────────────────────────────────────────
                let spec: SandboxSpec
                let report: ExitReport
                do throws(WardenError) {
                    spec = try SpecBuilder.spec(confinement, tool: .init(artifactFD: admitted.artifact.fd, sandboxPath: m.sandboxPath),
                                                environment: ["WARDEN_EXECUTION_ID": outcome.executionID],
                                                stdin: request.stdin, hidden: try hiddenPaths(request),
                                                resolvers: confinement.network == .none ? [] : try NetworkConfig.resolvers(home: home),
                                                executableMemory: native.executableMemory)
                    stage(&log, .executionStarted, request, outcome, subject: m.reference, decision: "allow",
                          details: protection.merging(["digest": .string(m.digest.description),
                                               "argv": .array(confinement.argv.map { .string($0) }),
                                               "limits": .object(["wall_seconds": .int(confinement.limits.wallSeconds),
                                                                  "cpu_seconds": .int(confinement.limits.cpuSeconds),
                                                                  "memory_mb": .int(confinement.limits.memoryMB),
                                                                  "pids": .int(confinement.limits.pids)])]) { _, b in b })
                    // Admission, decision, approval and start: durable, in one commit, before the tool
                    // runs. The commit is made while the sandbox is being assembled (the program does
                    // not exist until it returns), so its fsync overlaps the setup.
                    var committing = 0.0
                    report = try Sandbox.run(spec, output: output, captureLimit: request.captureLimit,
                                             cancelWhenReadable: request.cancelWhenReadable) { () throws(WardenError) in
                        let t = DispatchTime.now().uptimeNanoseconds
                        try flush(&log, &outcome)
                        committing = Double(DispatchTime.now().uptimeNanoseconds - t) / 1e6
                    }
                    clock.lap("confine", counting: ("record", committing))
                } catch {
                    // Nothing ran (or could not be confined): charge nothing beyond the reservation.
                    try? gate.complete(reservation, cpuSeconds: 0, durability: .deferred)
                    outcome.fail(error, .confinementFailed)
                    stage(&log, .executionFinished, request, outcome, subject: m.reference, decision: "deny",
                          details: ["code": .string(error.code), "reason": .string(error.message)])
                    return try conclude(&outcome, &log, &clock, lapping: "confine", request, manifest: m, jws: admitted.jws,
                                              decision: "deny", reasons: [error.description])
                }
                outcome.report = report
                outcome.status = report.status
                outcome.verdict = .ran
                try gate.complete(reservation, cpuSeconds: Double(report.cpuMillis) / 1000, durability: .deferred)
                stage(&log, .executionFinished, request, outcome, subject: m.reference, decision: "allow",
                      details: ["report": report.jsonValue])
                if let net = report.network, let drift = net.drift {
                    stage(&log, .networkDrift, request, outcome, subject: m.reference, decision: "deny",
                          details: ["drift": .string(drift), "grant": .array(net.grant.map { .string($0) })])
                }
                return try conclude(&outcome, &log, &clock, lapping: "record", request, manifest: m, jws: admitted.jws,
                                          decision: "allow", reasons: [], report: report)
            }
        } catch {
            // A record could not be written: the request stops here, unrecorded work is not done.
            outcome.error = error
            outcome.status = error.exitCode == WardenExit.denied ? WardenExit.denied : WardenExit.usage
        }
        outcome.stageMillis = clock.stages
        return outcome
    }

    // MARK: Admit

    struct Admitted {
        let manifest: ToolManifest
        let jws: String
        let artifact: VerifiedArtifact
        let authorizers: [String]
        /// What the artifact's own bytes say when they are ELF (checked against the manifest).
        let native: NativeArtifact?
    }

    /// Re-verifies everything at run time: the armory entry, the manifest's signature and
    /// publisher key as of now, the tenant's authorization, and the stored artifact's hash.
    func admit(_ request: RunRequest, now: Date) throws(WardenError) -> Admitted {
        try AuthorizationStatement.validateTenant(request.tenant)
        let entry = try armory.resolve(request.tool)
        if let revoked = entry.revokedAt {
            throw .denied("tool.revoked", "\(entry.manifest.reference) was revoked at \(Timestamp.rfc3339(revoked))")
        }
        let verified = try ManifestVerifier.verify(entry.manifestJWS, trust: trust, now: now)
        let status = try authorizations.require(digest: verified.manifest.digest, tenant: request.tenant, now: now)
        // The artifact is re-hashed on every run while it is copied into a sealed memfd, which
        // the sandbox copies into its private root: the bytes that run are the bytes verified
        // (docs/RUN.md). A server's cache hands out its sealed, already verified copy while the
        // blob provably has not changed (VerifiedArtifactCache).
        let m = verified.manifest
        let artifact = if let cache = caches?.artifacts {
            try cache.verifiedCopy(armory.store, m.digest)
        } else {
            try armory.store.verifiedCopy(m.digest)
        }
        // The bytes that run, read from the sealed copy: a foreign or malformed ELF, or one with
        // an undeclared native property, is refused at admission.
        let native: NativeArtifact?
        do throws(WardenError) {
            native = try NativeArtifact.inspect(fd: artifact.fd, what: m.reference)
            try native?.check(against: m)
        } catch {
            artifact.close()
            throw error
        }
        return Admitted(manifest: verified.manifest, jws: entry.manifestJWS, artifact: artifact, authorizers: status.validSigners,
                        native: native)
    }

    // MARK: Decide

    /// The policy and the request as the policy sees them.
    func decideInputs(_ request: RunRequest, _ admitted: Admitted) throws(WardenError) -> (PreparedPolicy, ExecutionRequest) {
        let m = admitted.manifest
        let path = try policyPath(request)
        var policy = if let cache = caches?.policies { try cache.load(path: path) } else { try PolicyLoader.load(path: path) }
        // The admitted artifact itself may run: its digest is signed and authorized for this
        // tenant. Anything else it executes (an interpreter in the entrypoint, children) still
        // needs the policy's own command rules.
        if m.entrypoint.first == m.sandboxPath {
            policy.commands.allow.append(CommandRule(program: m.sandboxPath, args: nil, index: policy.commands.allow.count + 1))
        }
        // The artifact is readable (and mounted) at its sandbox path, and nothing else under /tool.
        policy.filesystem.readonly.append(m.sandboxPath)
        // `./` trees are relative to where `warden run` was started; the tool itself works in
        // that directory when a tree allows it, else in the first writable tree.
        let base = request.workingDirectory
        func anchored(_ p: String) -> String { p.hasPrefix("/") ? p : (base as NSString).appendingPathComponent(p) }
        policy.filesystem.readonly = policy.filesystem.readonly.map(anchored)
        policy.filesystem.writable = policy.filesystem.writable.map(anchored)
        let inside = (policy.filesystem.readonly + policy.filesystem.writable).contains { base == $0 || base.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
        let cwd = inside ? base : (policy.filesystem.writable.first ?? base)
        var paths: [ExecutionRequest.PathAccess] = []
        for w in m.writable {
            paths.append(.init(anchored(w), write: true))  // declared needs, checked by the policy
        }
        var egress: [EgressRule] = []
        for n in m.network {
            do throws(EgressRuleError) { egress.append(try EgressRule(parsing: n)) } catch {
                throw .denied("manifest.bad_network", "\(m.reference): requires.network \"\(n)\": \(error.message)")
            }
        }
        var labels = ExposureLabels()
        for l in m.exposure { if let v = ExposureLabels(name: l) { labels.insert(v) } }
        let execRequest = ExecutionRequest(
            tenant: request.tenant, session: request.session, argv: m.entrypoint + request.arguments, workingDirectory: cwd,
            paths: paths, egress: egress, exposure: labels, tool: "\(m.reference) \(m.digest)")
        return (PreparedPolicy(policy, host: ToolHostView(base: LiveHostView(), toolPath: m.sandboxPath)), execRequest)
    }

    /// The decision record's copy of the effective egress grant.
    static func networkDetail(_ n: Confinement.NetworkMode) -> JSONValue {
        switch n {
        case .none: return "none"
        case .egress(let g):
            return .object(["grant": .array(g.rules.map { .string($0.description) }), "mode": .string(g.auditOnly ? "audit-only" : "enforce")])
        }
    }

    /// Warden's own host paths that the run's sandbox must never show: the home (keys,
    /// database, socket, artifacts), the policy file and any file a value was read from.
    /// A file event sink's log is hidden too: a tool must not forge or erase the events of
    /// earlier runs.
    func hiddenPaths(_ request: RunRequest) throws(WardenError) -> [String] {
        let eventLogs = (emitter?.sinks ?? []).compactMap { $0 as? FileSink }.flatMap { f in
            [f.path] + (1...f.keep).map { "\(f.path).\($0)" }
        }
        return [home.root, try policyPath(request)] + request.inputFiles + eventLogs
    }

    /// A tool must not edit the rules of its next run: the policy file, or a file a request
    /// value was read from, inside a tree this run may write is refused.
    func refuseWritableInputs(_ request: RunRequest, policyFile: String, writable: [String]) throws(WardenError) {
        guard !writable.isEmpty else { return }
        if let tree = HostPlaces.tree(containing: policyFile, among: writable) {
            throw .denied("policy.file_writable", "policy file \(policyFile) lies inside the writable tree \(tree) it grants: a tool could rewrite the rules of its next run; keep the policy outside every writable tree")
        }
        for file in request.inputFiles {
            if let tree = HostPlaces.tree(containing: file, among: writable) {
                throw .denied("run.input_writable", "\(file) lies inside the writable tree \(tree): a tool could replace what the next run reads from it; keep it outside every writable tree")
            }
        }
    }

    /// Writable system trees without `allow_system_writes`: refused at the decision (the sandbox
    /// would refuse them too, but only after the gate walked them for nested repositories).
    func refuseSystemTrees(_ f: FilesystemRules) throws(WardenError) {
        guard !f.allowSystemWrites, let s = HostPlaces.systemWrites(f.writable).first else { return }
        throw .denied("sandbox.system_write", "writable tree '\(s.tree)' \(s.reason): a tool would act as its owner there; refused unless the policy says filesystem.allow_system_writes: true")
    }

    /// What the records say about self-protection: unprotected entries and writable system
    /// trees (only when there are any).
    func protectionDetails(_ c: Confinement) -> [String: JSONValue] {
        var d: [String: JSONValue] = [:]
        if !c.unprotected.isEmpty { d["unprotected"] = .array(c.unprotected.map { .string($0) }) }
        if c.allowSystemWrites {
            let system = HostPlaces.systemWrites(c.writable)
            if !system.isEmpty {
                d["system_writes"] = .array(system.map { .object(["tree": .string($0.tree), "reason": .string($0.reason)]) })
            }
        }
        return d
    }

    /// The given policy, else the tenant's, else the home default.
    func policyPath(_ request: RunRequest) throws(WardenError) -> String {
        if let p = request.policyPath { return p }
        for candidate in ["\(home.policiesDirectory)/\(request.tenant).yaml", "\(home.policiesDirectory)/default.yaml"]
        where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        throw .denied("policy.none", "no policy for tenant \"\(request.tenant)\": give --policy FILE or create \(home.policiesDirectory)/\(request.tenant).yaml or default.yaml")
    }

    // MARK: Record and Emit

    /// The end of every run: commits the staged records (timed as stage `lapping`), emits the
    /// outcome's event and returns the outcome with its stage timings.
    private func conclude(_ outcome: inout RunOutcome, _ log: inout [LedgerEntry], _ clock: inout StageClock, lapping: String,
                          _ request: RunRequest, manifest: ToolManifest?, jws: String?, decision: String, reasons: [String],
                          report: ExitReport? = nil) throws(WardenError) -> RunOutcome {
        try flush(&log, &outcome)
        clock.lap(lapping)
        emit(&outcome, request, manifest: manifest, jws: jws, decision: decision, reasons: reasons, report: report)
        clock.lap("emit")
        outcome.stageMillis = clock.stages
        return outcome
    }

    /// Adds a record to the run's pending log (written by the next `flush`); every record of
    /// a run carries its `execution_id`.
    private func stage(_ log: inout [LedgerEntry], _ event: LedgerEvent, _ request: RunRequest, _ outcome: RunOutcome,
                       subject: String, decision: String, details: [String: JSONValue]) {
        var d = details
        d["execution_id"] = .string(outcome.executionID)
        log.append(LedgerEntry(event: event, tenant: request.tenant, actor: actor, subject: subject, decision: decision, details: .object(d)))
    }

    /// Makes the pending records durable, in order, in one ledger commit.
    private func flush(_ log: inout [LedgerEntry], _ outcome: inout RunOutcome) throws(WardenError) {
        let entries = log
        log = []
        // One transaction, one fsync, contiguous seqs; all or nothing.
        outcome.auditSeqs += try ledger.appendBlocking(contentsOf: entries).map(\.seq)
    }

    /// The digest a rejected request named, if it named one.
    private func requestedDigest(_ ref: ToolReference) -> String {
        if case .digest(_, let d) = ref { return d.description }
        return ""
    }

    private func emit(_ outcome: inout RunOutcome, _ request: RunRequest, manifest: ToolManifest?, jws: String?,
                      decision: String, reasons: [String], report: ExitReport? = nil) {
        guard request.eventWanted || !(emitter?.sinks.isEmpty ?? true) else { return }
        let o = ExecutionOutcome(
            executionID: outcome.executionID, tenant: request.tenant, tool: manifest?.name ?? request.tool.description,
            version: manifest?.version ?? "", digest: manifest?.digest.description ?? requestedDigest(request.tool), manifestJWS: jws ?? "",
            decision: decision, reasons: reasons, exitCode: report?.exitCode, signal: report?.signal,
            timedOut: report?.timedOut ?? false, durationMillis: report?.wallMillis ?? 0, limitsHit: report?.limitsHit ?? [],
            stdout: report?.capturedStdout ?? [], stderr: report?.capturedStderr ?? [],
            auditSeq: outcome.auditSeqs.last ?? 0, checkpoint: (try? ledger.latestCheckpoint())?.map { $0.note },
            network: report?.network?.jsonValue, native: outcome.native)
        let event = CloudEvent.execution(o, node: node, timeMillis: Ledger.nowMillis())
        outcome.event = event.json
        emitter?.emit(event)
    }
}
