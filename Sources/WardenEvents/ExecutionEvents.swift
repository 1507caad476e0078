import WardenCore

/// What the pipeline knows about one request's outcome; `CloudEvent.execution` turns it into
/// `dev.warden.execution.{completed,denied,failed}.v1`.
public struct ExecutionOutcome: Sendable, Equatable {
    public var executionID: String
    public var tenant: String
    public var tool: String
    public var version: String
    public var digest: String
    /// The signed manifest (compact JWS) the tool was admitted with.
    public var manifestJWS: String
    /// `allow`, `deny` or `approval_required`.
    public var decision: String
    public var reasons: [String]
    public var exitCode: Int32?
    public var signal: Int32?
    public var timedOut: Bool
    public var durationMillis: Int64
    public var limitsHit: [String]
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    /// Seq of the ledger record of this outcome.
    public var auditSeq: Int64
    /// Latest signed checkpoint note at emission time (lets receivers hold it elsewhere).
    public var checkpoint: String?
    /// What an egress run's network did (grant, DNS pins, connections); nil without network.
    public var network: JSONValue?
    /// What admission found in a native (ELF) artifact; nil for any other artifact.
    public var native: JSONValue?

    public init(executionID: String, tenant: String, tool: String, version: String, digest: String, manifestJWS: String,
                decision: String, reasons: [String] = [], exitCode: Int32? = nil, signal: Int32? = nil, timedOut: Bool = false,
                durationMillis: Int64 = 0, limitsHit: [String] = [], stdout: [UInt8] = [], stderr: [UInt8] = [],
                auditSeq: Int64, checkpoint: String? = nil, network: JSONValue? = nil, native: JSONValue? = nil) {
        self.network = network
        self.native = native
        self.executionID = executionID
        self.tenant = tenant
        self.tool = tool
        self.version = version
        self.digest = digest
        self.manifestJWS = manifestJWS
        self.decision = decision
        self.reasons = reasons
        self.exitCode = exitCode
        self.signal = signal
        self.timedOut = timedOut
        self.durationMillis = durationMillis
        self.limitsHit = limitsHit
        self.stdout = stdout
        self.stderr = stderr
        self.auditSeq = auditSeq
        self.checkpoint = checkpoint
    }
}

extension CloudEvent {
    /// Default cap on each of stdout/stderr carried in an event.
    public static let defaultOutputCap = 4096

    /// The event for an execution outcome: `denied` unless the decision was allow; `failed`
    /// when it did not exit 0 (signal, timeout, non-zero exit); else `completed`.
    public static func execution(_ o: ExecutionOutcome, node: String, timeMillis: Int64, outputCap: Int = defaultOutputCap) -> CloudEvent {
        let type: CloudEventType
        if o.decision != "allow" {
            type = o.decision == "approval_required" ? .approvalRequested : .executionDenied
        } else if o.exitCode == 0 && o.signal == nil && !o.timedOut {
            type = .executionCompleted
        } else {
            type = .executionFailed
        }
        let (out, outCut) = capped(o.stdout, outputCap)
        let (err, errCut) = capped(o.stderr, outputCap)
        var data: JSONValue = [
            "executionId": .string(o.executionID), "tool": .string(o.tool), "version": .string(o.version),
            "digest": .string(o.digest), "manifestJws": .string(o.manifestJWS), "decision": .string(o.decision),
            "reasons": .array(o.reasons.map { .string($0) }),
            "exitCode": o.exitCode.map { .int(Int64($0)) } ?? .null, "signal": o.signal.map { .int(Int64($0)) } ?? .null,
            "timedOut": .bool(o.timedOut), "durationMs": .int(o.durationMillis), "limitsHit": .array(o.limitsHit.map { .string($0) }),
            "stdout": .string(out), "stderr": .string(err), "truncated": .bool(outCut || errCut),
            "auditSeq": .int(o.auditSeq), "checkpoint": o.checkpoint.map { .string($0) } ?? .null,
        ]
        if case .object(var d) = data, o.network != nil || o.native != nil {
            if let network = o.network { d["network"] = network }
            if let native = o.native { d["native"] = native }
            data = .object(d)
        }
        return CloudEvent(node: node, type: type, subject: o.version.isEmpty ? o.tool : "\(o.tool)@\(o.version)", timeMillis: timeMillis, tenantID: o.tenant, data: data)
    }

    /// At most `cap` bytes of `bytes` as text (invalid UTF-8 replaced), cut at a character
    /// boundary; true when something was cut.
    static func capped(_ bytes: [UInt8], _ cap: Int) -> (String, Bool) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.utf8.count > cap else { return (text, false) }
        var out = ""
        var used = 0
        for ch in text {
            let n = String(ch).utf8.count
            if used + n > cap { break }
            out.append(ch)
            used += n
        }
        return (out, true)
    }
}
