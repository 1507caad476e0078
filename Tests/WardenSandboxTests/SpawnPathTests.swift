import Foundation
import Testing
import WardenCore

extension SandboxEndToEnd {
/// The faster spawn path (docs/SANDBOX.md, "Benchmark"): the child joins its v1 cgroups by
/// itself, bind sources are read through the host root the child keeps between two
/// pivot_roots, and nothing is staged on the host. These check each from the outside.
@Suite("Spawn path")
struct SpawnPathTests {
    /// As root (cgroup v1 here) the running program sits in the per-run memory, pids and
    /// cpuacct cgroups of the Warden that started it, seen from the host.
    @Test func programIsInThePerRunCgroups() throws {
        let token = "WARDEN-CG-\(UUID().uuidString.prefix(8))"
        let (p, pid) = try Harness.holdingProbe(.root, token: token)
        defer { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        let text = String(decoding: FileManager.default.contents(atPath: "/proc/\(pid)/cgroup") ?? Data(), as: UTF8.self)
        let runCgroup = "/warden-\(p.processIdentifier)-"
        let inRun = text.split(separator: "\n").filter { $0.contains(runCgroup) }.map { String($0) }
        let joined = Set(inRun.flatMap { $0.split(separator: ":")[1].split(separator: ",").map(String.init) })
        let mounted = Set(text.split(separator: "\n").flatMap { $0.split(separator: ":")[1].split(separator: ",").map(String.init) })
        for controller in ["memory", "pids", "cpuacct"] where mounted.contains(controller) {
            #expect(joined.contains(controller), "program not in its run's \(controller) cgroup:\n\(text)")
        }
        #expect(!joined.isEmpty, "\(text)")
    }

    /// A bind source reached through an absolute symlink in one of its parent directories is
    /// resolved on the host first (the child's own root is a scratch tmpfs meanwhile), and a
    /// source under /tmp is not hidden by that tmpfs.
    @Test(arguments: Harness.Mode.allCases)
    func bindSourceBehindAnAbsoluteSymlinkAndUnderTmp(mode: Harness.Mode) throws {
        let dir = try Harness.tempDir("linked")
        #expect(dir.hasPrefix("/tmp/"))
        try FileManager.default.createDirectory(atPath: dir + "/real", withIntermediateDirectories: false)
        chmod(dir + "/real", 0o755)
        try "through the link\n".write(toFile: dir + "/real/file", atomically: false, encoding: .utf8)
        chmod(dir + "/real/file", 0o644)
        #expect(symlink(dir + "/real", dir + "/link") == 0)
        let r = try Harness.probe(mode, flags: ["--ro", dir + "/link/file:/data/file"], ["read", "/data/file"])
        #expect(r.verdict.hasPrefix("ok"), "\(r.stdout) \(r.stderr)")
    }

    /// Nothing is created on the host for the new root: no staging directory appears in /tmp
    /// while a sandbox runs, and no mount of the sandbox shows in the host's mount table.
    @Test func nothingIsStagedOnTheHost() throws {
        let token = "WARDEN-STAGE-\(UUID().uuidString.prefix(8))"
        let before = Set((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? [])
        let (p, _) = try Harness.holdingProbe(.root, token: token)
        defer { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        let during = Set((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? [])
        // Earlier versions staged the root in /tmp/warden-root-<warden pid>-XXXXXX.
        let added = during.subtracting(before).filter { $0.hasPrefix("warden-") && $0.contains("-\(p.processIdentifier)-") }
        #expect(added.isEmpty, "\(added)")
        #expect(LeakCheckTests.mountsMentioningWarden().isEmpty)
        let mounts = String(decoding: FileManager.default.contents(atPath: "/proc/self/mountinfo") ?? Data(), as: UTF8.self)
        #expect(!mounts.contains("newroot") && !mounts.contains("oldroot"))
    }
}
}
