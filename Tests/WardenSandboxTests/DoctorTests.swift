import Foundation
import Testing
import WardenCore

extension SandboxEndToEnd {
@Suite("warden doctor")
struct DoctorTests {
    @Test func probesEveryPrimitiveAndReportsUsableHere() throws {
        let e = try Harness.environment()
        let r = Harness.raw(e.warden, ["doctor", "--json"])
        #expect(r.status == 0, "\(r.stdout)")
        let report = try StrictJSONParser.parse(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(report["sandbox_usable"] == .bool(true))
        let probes = report["probes"]?.arrayValue ?? []
        let names = Set(probes.compactMap { $0["name"]?.stringValue })
        for needed in ["namespace.user", "namespace.mount", "namespace.pid", "namespace.ipc", "namespace.uts",
                       "namespace.net", "namespace.cgroup", "userns.rootless", "landlock", "seccomp", "pidfd",
                       "cgroup.v1", "cgroup.v2", "cgroup.limits", "idmapped-mount", "sandbox.end-to-end", "sandbox.code-loading",
                       "net.egress", "kvm", "qemu"] {
            #expect(names.contains(needed), "missing probe \(needed)")
        }
        for p in probes where p["required"] == .bool(true) {
            #expect(p["ok"] == .bool(true), "\(p)")
        }
    }

    @Test func rootlessDoctorExplainsTheMissingCgroup() throws {
        let e = try Harness.environment()
        let r = Harness.raw("/usr/bin/setpriv", ["--reuid", "65534", "--regid", "65534", "--clear-groups", e.warden, "doctor"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("cgroup.limits"))
        #expect(r.stdout.contains("--rlimit-fallback"))
        #expect(r.stdout.contains("sandbox.end-to-end: /bin/true exited 0"))
        #expect(r.stdout.contains("was refused (exit 127): only allowed files map executable"), "\(r.stdout)")
        #expect(r.stdout.contains("sandbox: usable only with --rlimit-fallback"))
    }
}
}
