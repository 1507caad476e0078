import Foundation
import Testing
import WardenCore

extension SandboxEndToEnd {
/// The faster spawn path (docs/SANDBOX.md, "Benchmark"): the child joins its v1 cgroups by
/// itself, bind sources are read through the host root the child keeps between two
/// pivot_roots, and nothing is staged on the host. These check each from the outside.
@Suite("Spawn path")
struct SpawnPathTests {
    /// As root (cgroup v1 here) the running program sits in the per-run memory and pids
    /// cgroups of the Warden that started it, seen from the host, and with `--cpu` also in its
    /// cpuacct cgroup (which only the tree-wide CPU limit reads, so it exists only then).
    @Test(arguments: [false, true])
    func programIsInThePerRunCgroups(cpuLimit: Bool) throws {
        let token = "WARDEN-CG-\(UUID().uuidString.prefix(8))"
        let (p, pid) = try Harness.holdingProbe(.root, flags: cpuLimit ? ["--cpu", "30"] : [], token: token)
        defer { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        let text = String(decoding: FileManager.default.contents(atPath: "/proc/\(pid)/cgroup") ?? Data(), as: UTF8.self)
        let runCgroup = "/warden-\(p.processIdentifier)-"
        let inRun = text.split(separator: "\n").filter { $0.contains(runCgroup) }.map { String($0) }
        let joined = Set(inRun.flatMap { $0.split(separator: ":")[1].split(separator: ",").map(String.init) })
        let mounted = Set(text.split(separator: "\n").flatMap { $0.split(separator: ":")[1].split(separator: ",").map(String.init) })
        for controller in ["memory", "pids", "cpuacct"] where mounted.contains(controller) {
            let expected = controller != "cpuacct" || cpuLimit
            #expect(joined.contains(controller) == expected, "program in its run's \(controller) cgroup: \(!expected)\n\(text)")
        }
        #expect(!joined.isEmpty, "\(text)")
    }

    /// The cgroups are created while the child assembles its root and handed over before the
    /// program exists; the handoff also selects the rlimit set. With a cgroup (root here) the
    /// address-space limit is the 4x backstop over the default 512 MiB; without one (rootless
    /// `--rlimit-fallback`) it is exactly the memory limit. Read from the host's /proc.
    @Test(arguments: Harness.Mode.allCases)
    func rlimitSetFollowsTheCgroupHandoff(mode: Harness.Mode) throws {
        let token = "WARDEN-RL-\(UUID().uuidString.prefix(8))"
        let (p, pid) = try Harness.holdingProbe(mode, token: token)
        defer { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        let limits = String(decoding: FileManager.default.contents(atPath: "/proc/\(pid)/limits") ?? Data(), as: UTF8.self)
        let line = limits.split(separator: "\n").first { $0.hasPrefix("Max address space") }.map(String.init) ?? ""
        let fields = line.split(separator: " ").filter { !$0.isEmpty }
        let expected = mode == .root ? (512 << 20) * 4 : 512 << 20
        #expect(fields.count >= 5 && fields[3] == Substring(String(expected)) && fields[4] == Substring(String(expected)),
                "\(line)")
        let cgroup = String(decoding: FileManager.default.contents(atPath: "/proc/\(pid)/cgroup") ?? Data(), as: UTF8.self)
        #expect(cgroup.contains("/warden-\(p.processIdentifier)-") == (mode == .root), "\(cgroup)")
    }

    /// A per-run cgroup left by a Warden that was killed (its pid is gone) is removed by the
    /// first run of the next Warden process (sweeps are rate-limited per process, not skipped).
    @Test func staleRunCgroupOfADeadWardenIsRemoved() throws {
        let e = try Harness.environment()
        let own = String(decoding: FileManager.default.contents(atPath: "/proc/self/cgroup") ?? Data(), as: UTF8.self)
        guard let line = own.split(separator: "\n").first(where: { $0.split(separator: ":").count == 3 && $0.split(separator: ":")[1].split(separator: ",").contains("memory") }) else { return }
        let base = "/sys/fs/cgroup/memory" + (line.split(separator: ":")[2] == "/" ? "" : String(line.split(separator: ":")[2]))
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let stale = base + "/warden-\(gone.processIdentifier)-0123456789abcdef"
        #expect(mkdir(stale, 0o755) == 0, "\(stale): \(errno)")
        defer { rmdir(stale) }
        let r = Harness.raw(e.warden, ["exec", "--no-stdin", "--", "/bin/true"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(access(stale, F_OK) != 0, "stale cgroup \(stale) survived")
    }

    /// A bind source reached through an absolute symlink in one of its parent directories is
    /// resolved on the host when planning (the child's own root is a scratch tmpfs meanwhile,
    /// and every later step refuses symlinks), and a source under /tmp is not hidden by that
    /// tmpfs.
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
        // The same through the paths that clone trees in the parent: a writable tree (idmapped
        // as root) and, as root, a tree behind a directory the sandbox uid cannot search.
        try FileManager.default.createDirectory(atPath: dir + "/real/ws", withIntermediateDirectories: false)
        chmod(dir + "/real/ws", 0o755)
        chown(dir + "/real/ws", 65534, 65534)
        let w = try Harness.probe(mode, flags: ["--rw", dir + "/link/ws:/w"], ["write", "/w/made"])
        #expect(w.verdict.hasPrefix("ok"), "\(w.stdout) \(w.stderr)")
        if mode == .root {
            try FileManager.default.createDirectory(atPath: dir + "/real/closed/pub", withIntermediateDirectories: true)
            chmod(dir + "/real/closed", 0o700)
            chmod(dir + "/real/closed/pub", 0o755)
            try "behind\n".write(toFile: dir + "/real/closed/pub/f", atomically: false, encoding: .utf8)
            chmod(dir + "/real/closed/pub/f", 0o644)
            let c = try Harness.probe(mode, flags: ["--ro", dir + "/link/closed/pub:/c"], ["read", "/c/f"])
            #expect(c.verdict.hasPrefix("ok"), "\(c.stdout) \(c.stderr)")
        }
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
