import Foundation
import Testing

/// Plan: "VM Isolation (current)", the lines that apply to this backend (namespaces, a
/// pivoted tmpfs root, Landlock, seccomp; no VM).
@Suite struct IsolationTests {
    /// Plan: "Rootfs is read-only when configured in the image/spec".
    @Test func rootFilesystemIsReadOnly() throws {
        let h = try AcceptanceHome()
        let p = try h.policy(Policies.yaml())
        try h.expectCompleted(try h.run(["write", h.work + "/ws/rw.txt", "rw"], policy: p))
        for target in ["/usr/warden-acc-\(UUID().uuidString)", "/etc/warden-acc", "/warden-acc", "/tool/hello"] {
            let bad = try h.run(["write", target, "x"], policy: p)
            #expect(bad.status == 1, "\(target): \(bad.transcript)")
            #expect(bad.stderr.hasPrefix("hello: write \(target): "), "\(bad.stderr)")
            #expect(bad.stderr.contains("Read-only file system") || bad.stderr.contains("Permission denied"), "\(bad.stderr)")
            #expect(!FileManager.default.fileExists(atPath: target) || target == "/tool/hello")
            let rec = try h.record("execution.finished", of: bad, decision: "allow")
            #expect(((rec["details"] as? [String: Any])?["report"] as? [String: Any])?["exit_code"] as? Int == 1)
            h.expectEvent(bad, type: EnforcementTests.failed)
        }
        // The artifact on the host is untouched (its digest still admits it).
        #expect(try AcceptanceHome.sha256(h.blobPath) == String(h.digest.dropFirst(7)))
        try h.expectLedgerVerifies()
    }

    /// Plan: "Scratch is mounted when configured": a private writable /tmp per run, and the
    /// policy's writable tree mounted read-write; scratch never reaches the host.
    @Test func scratchIsMounted() throws {
        let h = try AcceptanceHome()
        let p = try h.policy(Policies.yaml())
        let name = "/tmp/warden-acc-scratch-\(UUID().uuidString)"
        let scratch = try h.run(["write", name, "scratch"], policy: p)
        #expect(scratch.status == 0, "\(scratch.transcript)")
        #expect(scratch.stdout == "wrote 7 bytes to \(name)\n")
        #expect(!FileManager.default.fileExists(atPath: name), "sandbox /tmp leaked to the host")
        _ = try h.record("execution.finished", of: scratch, decision: "allow")
        h.expectEvent(scratch, type: EnforcementTests.completed)
        // A later run gets a fresh scratch: the file is gone.
        let later = try h.run(["read", name], policy: p)
        #expect(later.status == 1, "\(later.transcript)")
        #expect(later.stderr.contains("No such file or directory"), "\(later.stderr)")
        h.expectEvent(later, type: EnforcementTests.failed)
        // The configured writable tree is mounted and persists on the host.
        let kept = h.work + "/ws/kept.txt"
        let ok = try h.run(["write", kept, "kept"], policy: p)
        #expect(ok.status == 0)
        #expect((try? String(contentsOfFile: kept, encoding: .utf8)) == "kept")
        // Without a writable tree (the working directory only readable) the same path is not writable.
        let none = try h.policy(Policies.yaml(readonly: ["/usr", "/lib", "/lib64", "/etc/ssl", "."], writable: []))
        let gone = h.work + "/ws/not-mounted.txt"
        let refused = try h.run(["write", gone, "x"], policy: none)
        #expect(refused.status == 1, "\(refused.transcript)")
        #expect(refused.stderr == "hello: write \(gone): Read-only file system\n", "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: gone))
        h.expectEvent(refused, type: EnforcementTests.failed)
        try h.expectLedgerVerifies()
    }
}
