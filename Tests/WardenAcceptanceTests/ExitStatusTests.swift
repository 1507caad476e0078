import Foundation
import Testing

/// Issue 6: "The exit status is the tool's (124/128+N/125/126/127 as documented)": a run that
/// outlives `limits.wall_seconds` is killed, exits 124, and is recorded and emitted as such.
@Suite struct ExitStatusTests {
    @Test func wallClockTimeoutExits124() throws {
        let h = try AcceptanceHome()
        let limits = "limits: {wall_seconds: 1, cpu_seconds: 5, memory_mb: 128, pids: 16}\n"
        let yaml = Policies.yaml(commands: ["sleep"]).replacingOccurrences(
            of: "limits: {wall_seconds: 10, cpu_seconds: 5, memory_mb: 128, pids: 16}\n", with: limits)
        #expect(yaml.contains(limits))
        let p = try h.policy(yaml)
        // Control: a short sleep finishes within the limit.
        let ok = try h.run(["exec", "/usr/bin/sleep", "0"], policy: p)
        try h.expectCompleted(ok)
        let slow = try h.run(["exec", "/usr/bin/sleep", "30"], policy: p)
        #expect(slow.status == 124, "\(slow.transcript)")
        #expect(slow.verdict == "ran")
        let report = slow.report["report"] as? [String: Any] ?? [:]
        #expect(report["timed_out"] as? Bool == true)
        #expect((report["limits_hit"] as? [String])?.contains("timeout") == true)
        #expect((report["wall_ms"] as? Int ?? 0) < 10_000)
        let rec = try h.record("execution.finished", of: slow, decision: "allow")
        #expect(((rec["details"] as? [String: Any])?["report"] as? [String: Any])?["timed_out"] as? Bool == true)
        h.expectEvent(slow, type: EnforcementTests.failed)
        #expect((slow.event?["data"] as? [String: Any])?["timedOut"] as? Bool == true)
        try h.expectLedgerVerifies()
    }
}
