import Foundation
import Testing
import WardenCore

/// One fresh Warden home with the four keys, the sample tool signed, added and authorized for
/// tenant `acme`, and a working directory (the `warden run` cwd) holding `ws/`.
///
/// Every command gets the home through `WARDEN_HOME` (the documented equivalent of `--home`).
final class AcceptanceHome {
    let root: String
    let home: String
    /// Where `warden run` is started; `./ws` in policies is `work/ws`.
    let work: String
    /// The signed manifest as written by `warden tool sign`.
    let jwsPath: String
    /// `sha256:HEX` of the sample tool, computed here independently of Warden.
    let digest: String
    /// Key name → kid.
    private(set) var kids: [String: String] = [:]

    /// `writable`/`exposure`/`network`: the manifest's declared needs. `authorizeFor`: tenants authorized.
    init(writable: [String] = [], exposure: [String] = [], network: [String] = [], authorizeFor: [String] = ["acme"]) throws {
        root = NSTemporaryDirectory() + "warden-acc-\(UUID().uuidString)"
        home = root + "/home"
        work = root + "/work"
        jwsPath = root + "/hello.jws"
        try FileManager.default.createDirectory(atPath: work + "/ws", withIntermediateDirectories: true)
        digest = "sha256:" + (try Self.sha256(SampleTool.path))
        for (name, role) in [("pub", "publisher"), ("auth", "authorizer"), ("appr", "approver"), ("runner", "runner")] {
            let r = try must(["key", "generate", name, "--role", role, "--json"])
            kids[name] = (Self.object(r.stdout)?["kid"] as? String) ?? ""
            #expect(kids[name]?.isEmpty == false, "no kid for \(name): \(r.transcript)")
        }
        var sign = ["tool", "sign", SampleTool.path, "--name", "hello", "--version", "1.0.0", "--key", "pub", "-o", jwsPath]
        for w in writable { sign += ["--writable", w] }
        for e in exposure { sign += ["--exposure", e] }
        for n in network { sign += ["--network", n] }
        try must(sign)
        try must(["tool", "add", jwsPath, SampleTool.path])
        for t in authorizeFor { try must(["tool", "authorize", "hello@1.0.0", "--tenant", t, "--key", "auth"]) }
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// The manifest JWS exactly as signed (what events must carry).
    var manifestJWS: String {
        (try? String(contentsOfFile: jwsPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }

    // MARK: Commands

    /// `warden ARGS` with this home, started in `work`.
    @discardableResult
    func warden(_ args: [String], env: [String: String] = [:]) throws -> WardenProcess.Result {
        var e = ["PATH": "/usr/bin:/bin", "HOME": root + "/userhome", "WARDEN_HOME": home, "WARDEN_ACTOR": "acceptance"]
        e.merge(env) { _, new in new }
        return try WardenProcess.exec(WardenProcess.binary, args, cwd: work, environment: e)
    }

    /// A setup command that must succeed.
    @discardableResult
    func must(_ args: [String]) throws -> WardenProcess.Result {
        let r = try warden(args)
        #expect(r.status == 0, "warden \(args.joined(separator: " ")) failed: \(r.transcript)")
        return r
    }

    /// Writes a policy file (YAML) and returns its path.
    func policy(_ yaml: String, name: String = "policy") throws -> String {
        let path = "\(root)/\(name)-\(UUID().uuidString.prefix(8)).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `warden run TOOL --tenant T --policy P --json [--approval TOKEN] -- ARGS`.
    func run(_ args: [String], policy: String, tenant: String = "acme", tool: String = "hello",
             approval: String? = nil) throws -> RunResult {
        var a = ["run", tool, "--tenant", tenant, "--policy", policy, "--json"]
        if let approval { a += ["--approval", approval] }
        let r = try warden(a + ["--"] + args)
        return RunResult(process: r, report: Self.object(r.stdout) ?? [:], tenant: tenant)
    }

    /// `warden approve ID --key KEY` → the token (empty on failure, with the process result).
    func approve(_ requestID: String, key: String = "appr", ttl: Int? = nil) throws -> (token: String, result: WardenProcess.Result) {
        var a = ["approve", requestID, "--key", key]
        if let ttl { a += ["--ttl", String(ttl)] }
        let r = try warden(a)
        return (r.status == 0 ? r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) : "", r)
    }

    // MARK: Ledger

    /// Every ledger record (`audit show --json`), in seq order.
    func ledger() throws -> [[String: Any]] {
        let r = try warden(["audit", "show", "--json"])
        #expect(r.status == 0, "audit show failed: \(r.transcript)")
        return r.stdout.split(separator: "\n").compactMap { Self.object(String($0))?["record"] as? [String: Any] }
    }

    /// The run's ledger records (its `audit_seqs`), each checked to belong to this run.
    func records(of run: RunResult) throws -> [[String: Any]] {
        let seqs = Set(run.auditSeqs)
        let recs = try ledger().filter { ($0["seq"] as? Int).map { seqs.contains($0) } ?? false }
        #expect(recs.count == seqs.count, "audit_seqs \(run.auditSeqs) not all in the ledger")
        for r in recs {
            #expect((r["details"] as? [String: Any])?["execution_id"] as? String == run.executionID)
            #expect(r["tenant"] as? String == run.tenant)
            #expect(r["kid"] as? String == kids["runner"], "record not signed by the runner key: \(r)")
            #expect((r["sig"] as? String)?.isEmpty == false)
        }
        return recs
    }

    /// The run's record of `event` (e.g. `execution.finished`); records an issue when absent.
    func record(_ event: String, of run: RunResult, decision: String? = nil) throws -> [String: Any] {
        let r = try records(of: run).last { $0["event"] as? String == event }
        guard let r else {
            Issue.record("no \(event) record for run \(run.executionID): \(try ledger())")
            return [:]
        }
        if let decision { #expect(r["decision"] as? String == decision, "\(event) decision: \(r)") }
        return r
    }

    /// `warden audit verify --json` succeeds on this home.
    func expectLedgerVerifies(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try warden(["audit", "verify", "--json"])
        #expect(r.status == 0, "audit verify failed: \(r.transcript)", sourceLocation: sourceLocation)
    }

    // MARK: Events

    /// Checks the run's CloudEvent: spec attributes, type, tenant, and its link to the signed
    /// manifest (`manifestJws` byte-equal to the signed file, `digest`) and to the ledger
    /// (`auditSeq` = the run's last record). `admitted: false` for runs refused at admission,
    /// whose event cannot name a manifest that was not verified.
    func expectEvent(_ run: RunResult, type: String, admitted: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let e = run.event else {
            Issue.record("no event in run report: \(run.process.transcript)", sourceLocation: sourceLocation)
            return
        }
        let data = e["data"] as? [String: Any] ?? [:]
        #expect(e["specversion"] as? String == "1.0", sourceLocation: sourceLocation)
        #expect(e["type"] as? String == type, "event type: \(e)", sourceLocation: sourceLocation)
        #expect(e["tenantid"] as? String == run.tenant, sourceLocation: sourceLocation)
        #expect((e["id"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
        #expect((e["source"] as? String)?.hasPrefix("warden://") == true, sourceLocation: sourceLocation)
        #expect(data["executionId"] as? String == run.executionID, sourceLocation: sourceLocation)
        #expect(data["auditSeq"] as? Int == run.auditSeqs.last, "auditSeq \(String(describing: data["auditSeq"])) vs \(run.auditSeqs)",
                sourceLocation: sourceLocation)
        if admitted {
            #expect(data["manifestJws"] as? String == manifestJWS, "manifestJws differs from the signed file", sourceLocation: sourceLocation)
            #expect(data["digest"] as? String == digest, sourceLocation: sourceLocation)
            #expect(e["subject"] as? String == "hello@1.0.0", sourceLocation: sourceLocation)
        } else {
            #expect(data["manifestJws"] as? String == "", sourceLocation: sourceLocation)
            #expect(data["decision"] as? String == "deny", sourceLocation: sourceLocation)
        }
    }

    // MARK: Helpers

    static func object(_ text: String) -> [String: Any]? {
        guard let d = text.trimmingCharacters(in: .whitespacesAndNewlines).data(using: .utf8) else { return nil }
        return (try? JSONSerialization.jsonObject(with: d)) as? [String: Any]
    }

    static func sha256(_ path: String) throws -> String {
        let r = try WardenProcess.exec("/usr/bin/sha256sum", [path], cwd: "/", environment: [:])
        return String(r.stdout.prefix(64))
    }
}

/// The `--json` report of one `warden run`.
struct RunResult {
    let process: WardenProcess.Result
    let report: [String: Any]
    /// The tenant the run was requested for.
    let tenant: String

    var status: Int32 { process.status }
    var verdict: String? { report["verdict"] as? String }
    var executionID: String { report["execution_id"] as? String ?? "" }
    var errorCode: String? { (report["error"] as? [String: Any])?["code"] as? String }
    var errorMessage: String { (report["error"] as? [String: Any])?["message"] as? String ?? "" }
    var reasons: [String] { report["reasons"] as? [String] ?? [] }
    var stdout: String { report["stdout"] as? String ?? "" }
    var stderr: String { report["stderr"] as? String ?? "" }
    var auditSeqs: [Int] { report["audit_seqs"] as? [Int] ?? [] }
    var event: [String: Any]? { report["event"] as? [String: Any] }
    var approvalRequestID: String? { (report["approval"] as? [String: Any])?["request_id"] as? String }
    var approvalOperation: String? { (report["approval"] as? [String: Any])?["operation"] as? String }
    /// Everything, for failure messages.
    var transcript: String { process.transcript }
}

extension AcceptanceHome {
    /// Runs SQL against the home database with the sqlite3 CLI: the attacker with write access
    /// to the home that the ledger and re-verification exist to catch.
    @discardableResult
    func sql(_ statement: String) throws -> WardenProcess.Result {
        let r = try WardenProcess.exec("/usr/bin/sqlite3", [home + "/warden.db", statement], cwd: root, environment: ["PATH": "/usr/bin:/bin"])
        #expect(r.status == 0, "sqlite3 failed: \(r.transcript)")
        return r
    }

    /// The stored artifact blob (HOME/artifacts/sha256/HEX).
    var blobPath: String { home + "/artifacts/sha256/" + String(digest.dropFirst("sha256:".count)) }
}

extension AcceptanceHome {
    /// The allowed control: exit 0, verdict `ran`, an `execution.finished` record with exit
    /// code 0, and a `completed` event.
    func expectCompleted(_ run: RunResult, stdoutPrefix: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(run.status == 0, "\(run.transcript)", sourceLocation: sourceLocation)
        #expect(run.verdict == "ran", sourceLocation: sourceLocation)
        if let stdoutPrefix { #expect(run.stdout.hasPrefix(stdoutPrefix), "\(run.stdout)", sourceLocation: sourceLocation) }
        let rec = try record("execution.finished", of: run, decision: "allow")
        #expect(((rec["details"] as? [String: Any])?["report"] as? [String: Any])?["exit_code"] as? Int == 0, sourceLocation: sourceLocation)
        expectEvent(run, type: EnforcementTests.completed, sourceLocation: sourceLocation)
    }

    /// A run refused at admission: exit `status`, verdict `rejected`, error code `code` (or a
    /// code starting with it when it ends in `.`), nothing run, an `admission.tool_rejected`
    /// record with that code, and a `denied` event that claims no manifest.
    func expectRejected(_ run: RunResult, code: String, status: Int32 = 126, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(run.status == status, "\(run.transcript)", sourceLocation: sourceLocation)
        #expect(run.verdict == "rejected", sourceLocation: sourceLocation)
        let matches = code.hasSuffix(".") ? run.errorCode?.hasPrefix(code) == true : run.errorCode == code
        #expect(matches, "expected \(code): \(run.transcript)", sourceLocation: sourceLocation)
        #expect(!run.errorMessage.isEmpty, sourceLocation: sourceLocation)
        #expect(run.stdout.isEmpty && run.report["report"] == nil, "something ran: \(run.transcript)", sourceLocation: sourceLocation)
        let rec = try record("admission.tool_rejected", of: run, decision: "deny")
        #expect((rec["details"] as? [String: Any])?["code"] as? String == run.errorCode, sourceLocation: sourceLocation)
        expectEvent(run, type: EnforcementTests.denied, admitted: false, sourceLocation: sourceLocation)
    }
}
