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

    /// A host daemon's path socket (mode 0777, like D-Bus's) inside a tree the policy mounts
    /// is out of reach: the tool cannot create AF_UNIX sockets unless the policy sets
    /// `network.unix_sockets: true`.
    @Test func unixSocketsOnlyWhenThePolicyAllowsThem() throws {
        let h = try AcceptanceHome()
        let path = h.work + "/ws/d.sock"
        let fd = try Self.listenUnix(path)
        defer { close(fd) }
        let denied = try h.run(["unix", path], policy: try h.policy(Policies.yaml()))
        #expect(denied.status == 1, "\(denied.transcript)")
        #expect(denied.stderr == "hello: socket \(path): Operation not permitted\n", "\(denied.stderr)")
        let allowed = try h.run(["unix", path], policy: try h.policy(Policies.yaml(extra: "network: {unix_sockets: true}\n")))
        #expect(allowed.status == 0, "\(allowed.transcript)")
        #expect(allowed.stdout == "connected to \(path)\n")
        try h.expectLedgerVerifies()
    }

    /// A listening Unix socket at `path` that any uid may connect to.
    static func listenUnix(_ path: String) throws -> Int32 {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { throw CocoaError(.fileWriteInvalidFileName) }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 && listen(fd, 4) == 0
            }
        }
        guard ok, chmod(path, 0o777) == 0 else {
            close(fd)
            throw CocoaError(.fileWriteUnknown)
        }
        return fd
    }
}
