import Foundation
import WardenCore
import WardenRuntime

/// How `warden run` shows an outcome: a short summary on stderr (stdout belongs to the tool),
/// or one JSON object with `--json`.
enum RunReport {
    static func json(_ o: RunOutcome, served: Bool = false) -> JSONValue {
        var r: [String: JSONValue] = [
            "execution_id": .string(o.executionID), "verdict": .string(o.verdict.rawValue), "status": .int(Int64(o.status)),
            "audit_seqs": .array(o.auditSeqs.map { .int($0) }),
            "stages_us": .object(Dictionary(o.stageMillis.map { ($0.stage, JSONValue.int(Int64($0.millis * 1000))) },
                                            uniquingKeysWith: { a, b in .int((a.intValue ?? 0) + (b.intValue ?? 0)) })),
        ]
        // A served run has no `open`/`close` stages: the server keeps the home open.
        if served { r["served"] = true }
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

    /// What `warden run` prints for `o`, as text: a served run renders it in the server and
    /// the client prints it unchanged, so both paths show exactly the same thing.
    struct Rendered: Equatable {
        var stdout = ""
        var stderr = ""
    }

    static func render(_ o: RunOutcome, json: Bool, events: Bool, served: Bool = false) -> Rendered {
        var r = Rendered()
        if json {
            r.stdout = CanonicalJSON.string(Self.json(o, served: served)) + "\n"
        } else {
            // Reasons and errors quote agent-chosen text (argv, paths): escaped for the terminal.
            r.stderr = summary(o).map { "warden: \(DisplayText.escape($0, limit: 2000))\n" }.joined()
            if events, let e = o.event { r.stdout = CanonicalJSON.string(e) + "\n" }
        }
        return r
    }

    /// Writes a rendering to this process's stderr (the summary), then stdout (the report or
    /// event), so the event is the last line when both go to one terminal.
    static func print(_ r: Rendered) {
        writeAll(2, r.stderr)
        writeAll(1, r.stdout)
    }

    /// Plain write(2): the served fast path prints without starting Foundation's file handles.
    private static func writeAll(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            bytes = bytes.dropFirst(n)
        }
    }

    /// The summary lines (without the `warden: ` prefix) for stderr.
    static func summary(_ o: RunOutcome) -> [String] {
        let seqs = o.auditSeqs.map(String.init).joined(separator: ",")
        var lines: [String] = []
        func error(_ e: WardenError) { lines.append("error: \(e.message) [\(e.code)]") }
        switch o.verdict {
        case .ran:
            lines.append("run \(o.executionID): exit \(o.status) (audit seq \(seqs))")
        case .approvalRequired:
            if let a = o.approval {
                lines.append("approval required for \(a.operation): request \(a.requestID)")
                lines.append("  an approver runs: warden approve \(a.requestID) --key APPROVER_KEY")
                lines.append("  then re-run this command with --approval TOKEN (audit seq \(seqs))")
            }
        case .denied:
            if let e = o.error {
                error(e)
            } else {
                for reason in o.decision?.denials ?? [] { lines.append("denied: \(reason)") }
            }
            lines.append("run \(o.executionID): denied (audit seq \(seqs))")
        case .rejected, .confinementFailed:
            if let e = o.error { error(e) }
            if !seqs.isEmpty { lines.append("run \(o.executionID): \(o.verdict.rawValue) (audit seq \(seqs))") }
        }
        return lines
    }
}
