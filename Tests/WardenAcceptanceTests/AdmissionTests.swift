import Foundation
import Testing
import WardenCore

/// Runner log (sprint 12): deny-by-default on missing/invalid signatures and unauthorized
/// digests; forged tokens; tampered digests (sprint 13).
@Suite struct AdmissionTests {
    /// A manifest stored without its signature (or with a forged one) is refused at run time.
    @Test func missingOrInvalidManifestSignatureIsDenied() throws {
        let h = try AcceptanceHome()
        let p = try h.policy(Policies.yaml())
        try h.expectCompleted(try h.run(["greet", "signed"], policy: p))

        let parts = h.manifestJWS.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        #expect(parts.count == 3)
        // `tool add` refuses an unsigned manifest outright.
        let unsignedFile = h.root + "/unsigned.jws"
        try (parts[0] + "." + parts[1] + ".").write(toFile: unsignedFile, atomically: true, encoding: .utf8)
        let add = try h.warden(["tool", "add", unsignedFile, SampleTool.path])
        #expect(add.status == 126, "\(add.transcript)")
        #expect(add.stderr.contains("jws."), "\(add.stderr)")

        // The stored manifest altered in the database: signature removed, then a flipped signature.
        let sig = parts[2]
        let flipped = String(sig.prefix(10)) + (sig.dropFirst(10).first == "A" ? "B" : "A") + String(sig.dropFirst(11))
        for forged in [parts[0] + "." + parts[1] + ".", parts[0] + "." + parts[1] + "." + flipped] {
            try h.sql("UPDATE tool SET manifest_jws = '\(forged)' WHERE manifest_jws = (SELECT manifest_jws FROM tool LIMIT 1);")
            try h.expectRejected(try h.run(["greet", "forged"], policy: p), code: "jws.")
        }
        try h.expectLedgerVerifies()
    }

    /// A publisher key revoked after signing invalidates the manifest at run time.
    @Test func revokedPublisherKeyIsDenied() throws {
        let h = try AcceptanceHome()
        let p = try h.policy(Policies.yaml())
        try h.expectCompleted(try h.run(["greet", "before"], policy: p))
        try h.must(["key", "revoke", "pub"])
        let bad = try h.run(["greet", "after"], policy: p)
        try h.expectRejected(bad, code: "trust.key_revoked")
        #expect(bad.errorMessage.contains("revoked"), "\(bad.transcript)")
        try h.expectLedgerVerifies()
    }

    /// Unauthorized digest: a tenant with no authorization for the tool's digest is refused;
    /// the authorized tenant runs; revoking the authorization refuses it too.
    @Test func unauthorizedDigestIsDenied() throws {
        let h = try AcceptanceHome()
        let p = try h.policy(Policies.yaml())
        try h.expectCompleted(try h.run(["greet", "acme"], policy: p))
        let other = try h.run(["greet", "evil"], policy: p, tenant: "evil")
        try h.expectRejected(other, code: "authz.missing")
        #expect(other.errorMessage.contains("evil"))
        // Unknown tool: 127.
        try h.expectRejected(try h.run(["greet", "x"], policy: p, tool: "nosuch"), code: "tool.unknown", status: 127)
        // Authorization revoked for acme.
        try h.must(["tool", "revoke", "hello@1.0.0", "--tenant", "acme"])
        try h.expectRejected(try h.run(["greet", "acme"], policy: p), code: "authz.")
        try h.expectLedgerVerifies()
    }

    /// Tampered digest: the stored blob modified in place (same size, one byte flipped) is
    /// caught by the run-time re-hash; nothing runs.
    @Test func tamperedArtifactIsDenied() throws {
        let h = try AcceptanceHome()
        let p = try h.policy(Policies.yaml())
        try h.expectCompleted(try h.run(["greet", "intact"], policy: p))
        #expect(chmod(h.blobPath, 0o644) == 0)
        var bytes = try #require(FileManager.default.contents(atPath: h.blobPath))
        let i = bytes.count / 2
        bytes[i] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: h.blobPath))
        let bad = try h.run(["greet", "tampered"], policy: p)
        try h.expectRejected(bad, code: "artifact.")
        #expect(bad.errorMessage.contains(String(h.digest.dropFirst(7)).prefix(12)), "\(bad.errorMessage)")
        try h.expectLedgerVerifies()
    }

    /// Forged approval tokens: altered payload, wrong request, unlisted approver, garbage —
    /// each refused with its own code; the genuine token runs.
    @Test func forgedApprovalTokensAreRejected() throws {
        let h = try AcceptanceHome()
        try h.must(["key", "generate", "appr2", "--role", "approver"])
        let p = try h.policy(Policies.yaml(extra: Policies.approvals(["write"], approverKid: h.kids["appr"] ?? "")))
        let args = ["greet", "token"]
        let rid = try #require(try h.run(args, policy: p).approvalRequestID)
        let (genuine, _) = try h.approve(rid)
        let parts = genuine.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        try #require(parts.count == 3)
        // Payload edited (exp pushed out) but the signature kept.
        var payload = try #require(AcceptanceHome.object(String(decoding: Base64URL.decode(parts[1]) ?? [], as: UTF8.self)))
        payload["exp"] = (payload["exp"] as? Int ?? 0) + 86_400
        let edited = parts[0] + "." + Base64URL.encode(Array(try JSONSerialization.data(withJSONObject: payload))) + "." + parts[2]
        // A token for another request.
        let otherRID = try #require(try h.run(["greet", "other"], policy: p).approvalRequestID)
        let (otherToken, _) = try h.approve(otherRID)
        // A token from an approver key the policy does not list.
        let (unlisted, unlistedResult) = try h.approve(rid, key: "appr2")
        let cases: [(String, String)] = [
            (edited, "approval.bad_token"), (otherToken, "approval.wrong_request"),
            (parts[0] + "." + parts[1] + ".", "approval.bad_token"), ("not-a-token", "approval.bad_token"),
        ] + (unlisted.isEmpty ? [] : [(unlisted, "approval.unlisted_approver")])
        if unlisted.isEmpty { #expect(unlistedResult.stderr.contains("approval.unlisted_approver"), "\(unlistedResult.transcript)") }
        for (token, code) in cases {
            let bad = try h.run(args, policy: p, approval: token)
            #expect(bad.status == 126, "\(code): \(bad.transcript)")
            #expect(bad.errorCode == code, "expected \(code): \(bad.transcript)")
            #expect(bad.stdout.isEmpty)
            let rec = try h.record("decision", of: bad, decision: "deny")
            #expect((rec["details"] as? [String: Any])?["code"] as? String == code)
            h.expectEvent(bad, type: EnforcementTests.denied)
        }
        let ok = try h.run(args, policy: p, approval: genuine)
        #expect(ok.status == 0, "\(ok.transcript)")
        _ = try h.record("approval.consumed", of: ok, decision: "allow")
        h.expectEvent(ok, type: EnforcementTests.completed)
        try h.expectLedgerVerifies()
    }
}
