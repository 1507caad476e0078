import Foundation
import WardenCore
import WardenRuntime

/// How `warden run` shows an outcome: a short summary on stderr (stdout belongs to the tool),
/// or one JSON object with `--json`.
enum RunReport {
    static func json(_ o: RunOutcome) -> JSONValue {
        var r: [String: JSONValue] = [
            "execution_id": .string(o.executionID), "verdict": .string(o.verdict.rawValue), "status": .int(Int64(o.status)),
            "audit_seqs": .array(o.auditSeqs.map { .int($0) }),
            "stages_us": .object(Dictionary(o.stageMillis.map { ($0.stage, JSONValue.int(Int64($0.millis * 1000))) },
                                            uniquingKeysWith: { a, b in .int((a.intValue ?? 0) + (b.intValue ?? 0)) })),
        ]
        if let e = o.error { r["error"] = ["code": .string(e.code), "message": .string(e.message)] }
        if let d = o.decision {
            r["trace"] = .array(d.traceText.map { .string($0) })
            r["reasons"] = .array(d.denials.map { .string($0.description) })
        }
        if let a = o.approval { r["approval"] = ["operation": .string(a.operation), "request_id": .string(a.requestID)] }
        if let rep = o.report {
            r["report"] = rep.jsonValue
            r["stdout"] = .string(String(decoding: rep.capturedStdout, as: UTF8.self))
            r["stderr"] = .string(String(decoding: rep.capturedStderr, as: UTF8.self))
        }
        if let e = o.event { r["event"] = e }
        return .object(r)
    }

    static func printSummary(_ o: RunOutcome) {
        let seqs = o.auditSeqs.map(String.init).joined(separator: ",")
        switch o.verdict {
        case .ran:
            Terminal.warn("run \(o.executionID): exit \(o.status) (audit seq \(seqs))")
        case .approvalRequired:
            if let a = o.approval {
                Terminal.warn("approval required for \(a.operation): request \(a.requestID)")
                Terminal.warn("  an approver runs: warden approve \(a.requestID) --key APPROVER_KEY")
                Terminal.warn("  then re-run this command with --approval TOKEN (audit seq \(seqs))")
            }
        case .denied:
            if let e = o.error {
                Terminal.error(e)
            } else {
                for reason in o.decision?.denials ?? [] { Terminal.warn("denied: \(reason)") }
            }
            Terminal.warn("run \(o.executionID): denied (audit seq \(seqs))")
        case .rejected, .confinementFailed:
            if let e = o.error { Terminal.error(e) }
            if !seqs.isEmpty { Terminal.warn("run \(o.executionID): \(o.verdict.rawValue) (audit seq \(seqs))") }
        }
    }
}
