import Foundation
import Testing
import WardenCore

/// Runner log (sprint 12): "execution output → CloudEvents v1.0 payload including manifest_jws,
/// tenant_id, and task metadata"; "Output telemetry keeps manifest linkage for
/// non-repudiation traceability".
@Suite struct EventContractTests {
    /// CloudEvents contract: required attributes, tenant id, manifest JWS, output, exit code;
    /// the `--events` stream carries the same event as the JSON report.
    @Test func cloudEventCarriesManifestJWSAndTenant() throws {
        let h = try AcceptanceHome(authorizeFor: ["acme", "beta"])
        let p = try h.policy(Policies.yaml())
        for tenant in ["acme", "beta"] {
            let ok = try h.run(["greet", tenant], policy: p, tenant: tenant)
            #expect(ok.status == 0, "\(ok.transcript)")
            h.expectEvent(ok, type: EnforcementTests.completed)
            let e = try #require(ok.event)
            let data = e["data"] as? [String: Any] ?? [:]
            #expect(e["tenantid"] as? String == tenant)
            #expect(e["datacontenttype"] as? String == "application/json")
            #expect(e["time"] as? String != nil)
            #expect(data["tool"] as? String == "hello" && data["version"] as? String == "1.0.0")
            #expect(data["exitCode"] as? Int == 0)
            #expect(data["decision"] as? String == "allow")
            #expect((data["stdout"] as? String)?.hasPrefix("hello, \(tenant)") == true)
            let rec = try h.record("execution.finished", of: ok, decision: "allow")
            #expect(rec["tenant"] as? String == tenant)
        }
        // `--events`: the tool's stdout, then the event as one JSON line.
        let streamed = try h.warden(["run", "hello", "--tenant", "acme", "--policy", p, "--events", "--", "greet", "stream"])
        #expect(streamed.status == 0, "\(streamed.transcript)")
        let lines = streamed.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("hello, stream") == true, "\(streamed.stdout)")
        let event = try #require(lines.last.flatMap(AcceptanceHome.object), "\(streamed.stdout)")
        #expect(event["type"] as? String == EnforcementTests.completed)
        #expect(event["tenantid"] as? String == "acme")
        #expect((event["data"] as? [String: Any])?["manifestJws"] as? String == h.manifestJWS)
        // Attack pairing: a denied run's event is `denied`, names the tenant and carries no output.
        let denied = try h.run(["greet", "x"], policy: try h.policy(Policies.yaml(budget: "{executions: 0, cpu_seconds: 0}")))
        #expect(denied.status == 126)
        h.expectEvent(denied, type: EnforcementTests.denied)
        let dd = denied.event?["data"] as? [String: Any] ?? [:]
        #expect(dd["exitCode"] is NSNull)
        #expect((dd["reasons"] as? [String])?.contains { $0.contains("policy.budget") } == true)
        _ = try h.record("decision", of: denied, decision: "deny")
        try h.expectLedgerVerifies()
    }

    /// Telemetry linked to the manifest: the event's manifest JWS is the signed file, its
    /// payload names the digest the event and the ledger carry, and its auditSeq points at the
    /// run's signed ledger record. A run refused at admission claims no manifest.
    @Test func telemetryIsLinkedToTheSignedManifest() throws {
        let h = try AcceptanceHome()
        let p = try h.policy(Policies.yaml())
        let ok = try h.run(["greet", "link"], policy: p)
        try h.expectCompleted(ok)
        let data = ok.event?["data"] as? [String: Any] ?? [:]
        let jws = try #require(data["manifestJws"] as? String)
        let parts = jws.split(separator: ".").map(String.init)
        try #require(parts.count == 3)
        let payload = try #require(AcceptanceHome.object(String(decoding: Base64URL.decode(parts[1]) ?? [], as: UTF8.self)))
        #expect((payload["artifact"] as? [String: Any])?["digest"] as? String == h.digest)
        #expect(data["digest"] as? String == h.digest)
        // `warden tool verify` accepts the JWS carried by the event against the artifact.
        let carried = h.root + "/from-event.jws"
        try jws.write(toFile: carried, atomically: true, encoding: .utf8)
        let v = try h.warden(["tool", "verify", carried, "--artifact", SampleTool.path])
        #expect(v.status == 0, "\(v.transcript)")
        // auditSeq → the signed execution.finished record of this execution.
        let seq = try #require(data["auditSeq"] as? Int)
        let rec = try #require(try h.ledger().first { $0["seq"] as? Int == seq })
        #expect(rec["event"] as? String == "execution.finished")
        #expect((rec["details"] as? [String: Any])?["execution_id"] as? String == data["executionId"] as? String)
        let started = try h.record("execution.started", of: ok)
        #expect((started["details"] as? [String: Any])?["digest"] as? String == h.digest)

        // Tampered artifact: no manifest linkage is claimed for what was not admitted.
        #expect(chmod(h.blobPath, 0o644) == 0)
        let fh = try FileHandle(forWritingTo: URL(fileURLWithPath: h.blobPath))
        try fh.seekToEnd()
        try fh.write(contentsOf: Data([0x90]))
        try fh.close()
        try h.expectRejected(try h.run(["greet", "link"], policy: p), code: "artifact.")
        try h.expectLedgerVerifies()
    }
}
