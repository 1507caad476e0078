import Testing
import WardenCore
@testable import WardenSandbox

/// An in-memory host filesystem for the planners.
struct FakeFS: HostFileSystem {
    var kinds: [String: HostFileKind]
    var heads: [String: [UInt8]] = [:]
    func kind(of path: String) -> HostFileKind { kinds[path] ?? .missing }
    func head(of path: String, limit: Int) -> [UInt8]? { heads[path].map { Array($0.prefix(limit)) } }
    func owner(of path: String) -> (uid: UInt32, gid: UInt32)? { kinds[path] == nil ? nil : (0, 0) }
    var mounts: [KernelMounts.Entry] = [KernelMounts.Entry(mountPoint: "/", fsType: "ext4")]
    var unreadableMounts = false
    func mountTable() -> [KernelMounts.Entry]? { unreadableMounts ? nil : mounts }
    func resolved(_ path: String) -> String? { kinds[path] == nil ? nil : path }
}

@Suite("Spec validation")
struct SpecValidationTests {
    @Test func normalizesAndRejectsDangerousPaths() throws {
        let ok = try SpecValidation.validate(SandboxSpec(command: "/bin/true", mounts: [.readOnly(source: "/data//x/./", destination: "/d/")]))
        #expect(ok.mounts == [.readOnly(source: "/data/x", destination: "/d")])
        let bad: [(SandboxSpec, String)] = [
            (SandboxSpec(command: "/bin/true", mounts: [.readOnly(source: "rel", destination: "/d")]), "sandbox.path_relative"),
            (SandboxSpec(command: "/bin/true", mounts: [.readOnly(source: "/a/../etc", destination: "/d")]), "sandbox.path_dotdot"),
            (SandboxSpec(command: "/bin/true", mounts: [.readWrite(source: "/a", destination: "/")]), "sandbox.mount_root"),
            (SandboxSpec(command: "/bin/true", mounts: [.readOnly(source: "/a\u{0}b", destination: "/d")]), "sandbox.path_nul"),
            (SandboxSpec(command: ""), "sandbox.command_invalid"),
            (SandboxSpec(command: "/bin/true", arguments: ["a\u{0}"]), "sandbox.argument_nul"),
            (SandboxSpec(command: "/bin/true", cwd: "tmp"), "sandbox.path_relative"),
            (SandboxSpec(command: "/bin/true", environment: ["A=B": "c"]), "sandbox.env_invalid"),
            (SandboxSpec(command: "/bin/true", network: .host), "sandbox.network_unsupported"),
            (SandboxSpec(command: "/bin/true", hostname: "Bad_Host"), "sandbox.hostname_invalid"),
            (SandboxSpec(command: "/bin/true", limits: .init(wallSeconds: .infinity)), "sandbox.limit_timeout"),
            (SandboxSpec(command: "/bin/true", limits: .init(pids: 0)), "sandbox.limit_pids"),
            (SandboxSpec(command: "/bin/true", limits: .init(cpuSeconds: 0)), "sandbox.limit_cpu"),
            (SandboxSpec(command: "/bin/true", mounts: [.tmpfs(destination: "/t", sizeMB: 0)]), "sandbox.tmpfs_size"),
        ]
        for (spec, code) in bad {
            #expect(throws: WardenError.self) { _ = try SpecValidation.validate(spec) }
            do { _ = try SpecValidation.validate(spec) } catch { #expect(error.code == code) }
        }
    }

    /// Fuzz: random path strings never trap, and accepted ones are normalized absolute paths.
    @Test func randomPathsNeverTrap() {
        let alphabet: [Character] = ["/", ".", "a", "\u{0}", "é", " ", "-"]
        for _ in 0..<5000 {
            let s = String((0..<Int.random(in: 0...12)).map { _ in alphabet.randomElement()! })
            if let p = try? SandboxPath.normalize(s, field: "f") {
                #expect(p.hasPrefix("/") && !p.contains("//") && !p.split(separator: "/").contains(".."))
                #expect(p == "/" || !p.hasSuffix("/"))
            }
        }
    }

    @Test func defaultsAreTheSecureOnes() {
        let s = SandboxSpec(command: "/bin/true")
        #expect(s.network == .none)
        #expect(s.stdin == .null)
        #expect(s.limits.memoryMB == 512 && s.limits.pids == 128 && s.limits.wallSeconds == 60)
        #expect(s.limits.outputBytes == 1 << 20 && !s.limits.allowRlimitFallback)
        #expect(s.effectiveEnvironment.keys.sorted() == ["HOME", "LANG", "PATH"])
    }
}

@Suite("Mount plan, resolver, Landlock plan")
struct MountPlanTests {
    static let fs = FakeFS(kinds: [
        "/usr": .directory, "/bin": .symlink(target: "usr/bin"), "/lib64": .symlink(target: "usr/lib64"),
        "/usr/bin": .directory, "/usr/bin/sh": .symlink(target: "dash"), "/usr/bin/dash": .file(executable: true),
        "/usr/lib64": .directory, "/usr/lib64/ld.so": .file(executable: true), "/usr/bin/script": .file(executable: true),
        "/usr/bin/loop": .symlink(target: "loop"), "/etc/ssl": .directory, "/data": .directory, "/data/secret": .file(executable: false),
        "/usr/bin/plain": .file(executable: false),
    ], heads: [
        "/usr/bin/script": Array("#!/bin/sh -e\necho".utf8),
        "/usr/bin/dash": ELFInspectorTests.elf(interp: "/lib64/ld.so"),
    ])

    @Test func systemViewIsReadOnlyAndHidesTheRest() throws {
        let plan = try MountPlan.build(SandboxSpec(command: "/bin/sh", mounts: [.readOnly(source: "/data", destination: "/mnt/data")],
                                                   maskedPaths: ["/data/secret"]), fs: Self.fs)
        #expect(plan.ops.contains(.bind(source: "/usr", destination: "/usr", readOnly: true, allowDevices: false)))
        #expect(plan.ops.contains(.symlink(target: "usr/bin", at: "/bin")))
        #expect(plan.ops.contains(.readOnly("/etc")))
        #expect(plan.ops.contains(.proc("/proc")))
        #expect(plan.ops.contains(.tmpfs("/tmp", options: "mode=1777,size=64m")))
        #expect(!plan.ops.contains { if case .bind(_, _, false, false) = $0 { return true } else { return false } },
                "no writable bind without --rw")
        #expect(plan.hostPath(of: "/mnt/data/x") == "/data/x")
        #expect(plan.hostPath(of: "/etc/passwd") == nil)
        // /mnt is created on the root tmpfs only to hold /mnt/data.
        #expect(plan.isIntermediateDirectory("/mnt"))
        let passwd = plan.ops.first { if case .write("/etc/passwd", _, _) = $0 { return true } else { return false } }
        if case .write(_, let content, _) = passwd {
            #expect(String(decoding: content, as: UTF8.self) == "sandbox:x:1000:1000:sandbox:/tmp:/bin/sh\n")
        } else { Issue.record("no /etc/passwd") }
    }

    @Test func masksMountedPathsThatExist() throws {
        let plan = try MountPlan.build(SandboxSpec(command: "/bin/sh", mounts: [.readOnly(source: "/data", destination: "/data")],
                                                   maskedPaths: ["/data/secret", "/data/none"]), fs: Self.fs)
        #expect(plan.ops.contains(.mask("/data/secret", directory: false)))
        #expect(!plan.ops.contains { SpawnFailure.describe($0).contains("/data/none") })
    }

    @Test func resolverFollowsSymlinksInsideTheViewAndFindsInterpreters() throws {
        let plan = try MountPlan.build(SandboxSpec(command: "/bin/sh"), fs: Self.fs)
        let r = ExecutableResolver(plan: plan, fs: Self.fs)
        let sh = try r.locate("/bin/sh", searchPath: "")
        #expect(sh.sandboxPath == "/usr/bin/dash")
        #expect(r.executionChain(of: sh).map(\.sandboxPath) == ["/usr/bin/dash", "/usr/lib64/ld.so"])
        let script = try r.locate("script", searchPath: "/nope:/bin")
        #expect(r.executionChain(of: script).map(\.sandboxPath) == ["/usr/bin/script", "/usr/bin/dash", "/usr/lib64/ld.so"])
        #expect(r.resolve("/usr/bin/loop") == nil, "symlink loops end")
        #expect(r.resolveDirectory("/bin") == "/usr/bin")
        #expect(r.resolveDirectory("/bin/sh") == nil)
        #expect(try r.executionSet(program: sh, allowExec: ["/bin"]).executables == ["/usr/bin/dash", "/usr/lib64/ld.so", "/usr/bin"])
        #expect(r.resolve("/data/secret") == nil, "not mounted")
        #expect(throws: WardenError.self) { _ = try r.locate("/usr/bin/plain", searchPath: "") }
        #expect(throws: WardenError.self) { _ = try r.locate("missing", searchPath: "/usr/bin") }
    }

    @Test func landlockGrantsExecuteOnlyToTheChain() throws {
        let plan = try MountPlan.build(SandboxSpec(command: "/bin/sh", mounts: [.readWrite(source: "/data", destination: "/w")]), fs: Self.fs)
        let ll = try LandlockPlan.build(plan: plan, executables: ["/usr/bin/dash", "/usr/lib64/ld.so"], abi: 7)
        let exec = ll.rules.filter { $0.access & LandlockAccess.execute != 0 }.map(\.path)
        #expect(exec == ["/usr/bin/dash", "/usr/lib64/ld.so"])
        #expect(ll.rules.first { $0.path == "/usr" }?.access == LandlockAccess.read)
        #expect(ll.rules.first { $0.path == "/w" }?.access == LandlockAccess.read | LandlockAccess.write)
        #expect(ll.rules.allSatisfy { $0.access & (LandlockAccess.makeChar | LandlockAccess.makeBlock) == 0 })
        #expect(ll.handledNet == LandlockAccess.netBindTCP | LandlockAccess.netConnectTCP)
        #expect(ll.scoped != 0)
        let old = try LandlockPlan.build(plan: plan, executables: [], abi: 1)
        #expect(old.handledNet == 0 && old.scoped == 0 && old.handledFS == (1 << 13) - 1)
        #expect(throws: WardenError.self) { _ = try LandlockPlan.build(plan: plan, executables: [], abi: 0) }
        #expect(throws: WardenError.self) { _ = try LandlockPlan.build(plan: plan, executables: [], abi: -38) }
    }
}

@Suite("ELF and cgroup parsing")
struct ELFInspectorTests {
    /// A minimal 64-bit little-endian ELF header with one PT_INTERP program header.
    static func elf(interp: String) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 64 + 56)
        b[0...5] = [0x7f, 0x45, 0x4c, 0x46, 2, 1]
        func put(_ v: Int, _ off: Int, _ n: Int) { for i in 0..<n { b[off + i] = UInt8((v >> (8 * i)) & 0xff) } }
        put(64, 32, 8)      // e_phoff
        put(56, 54, 2)      // e_phentsize
        put(1, 56, 2)       // e_phnum
        put(3, 64, 4)       // PT_INTERP
        put(120, 64 + 8, 8) // p_offset
        put(interp.utf8.count + 1, 64 + 32, 8)
        return b + Array(interp.utf8) + [0]
    }

    @Test func readsInterpreterOfRealAndSyntheticBinaries() {
        #expect(ELFInspector.interpreter(Self.elf(interp: "/lib64/ld.so")) == "/lib64/ld.so")
        let real = RealHostFileSystem().head(of: "/usr/bin/true", limit: 4096) ?? []
        #expect(ELFInspector.interpreter(real)?.hasPrefix("/lib") == true)
        #expect(ELFInspector.shebang(Array("#!/usr/bin/env python3\n".utf8)) == "/usr/bin/env")
        #expect(ELFInspector.shebang(Array("#! relative\n".utf8)) == nil)
        #expect(ELFInspector.interpreter(Array("#!/bin/sh".utf8)) == nil)
    }

    /// Fuzz: truncated and mutated headers never trap.
    @Test func mutatedHeadersNeverTrap() {
        let base = Self.elf(interp: "/lib64/ld-linux-x86-64.so.2")
        for _ in 0..<20_000 {
            var b = Array(base.prefix(Int.random(in: 0...base.count)))
            for _ in 0..<Int.random(in: 0...6) where !b.isEmpty { b[Int.random(in: 0..<b.count)] = UInt8.random(in: 0...255) }
            _ = ELFInspector.interpreter(b)
            _ = ELFInspector.shebang(b)
        }
    }

    @Test func parsesV1AndV2CgroupLayouts() {
        let mounts = """
        cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0
        cgroup /sys/fs/cgroup/pids cgroup rw,relatime,pids 0 0
        cgroup /sys/fs/cgroup/cpu\\040acct cgroup rw,cpu,cpuacct 0 0
        cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0
        """
        let procSelf = "4:memory:/process_api/x\n8:pids:/\n2:cpu,cpuacct:/a\n0::/user.slice\nbroken"
        let l = CgroupLayout.parse(procSelfCgroup: procSelf, mounts: mounts)
        #expect(l.v1["memory"] == "/sys/fs/cgroup/memory/process_api/x")
        #expect(l.v1["pids"] == "/sys/fs/cgroup/pids")
        #expect(l.v1["cpuacct"] == "/sys/fs/cgroup/cpu acct/a")
        #expect(l.v2 == "/sys/fs/cgroup/unified/user.slice")
        #expect(CgroupLayout.parse(procSelfCgroup: "", mounts: "") == CgroupLayout())
        // The mount points are remembered per process; parsing them apart gives the same layout.
        #expect(CgroupLayout.parse(procSelfCgroup: procSelf, mounts: CgroupLayout.parseMounts(mounts)) == l)
        #expect(CgroupLayout.parseMounts(mounts).v1["memory"] == "/sys/fs/cgroup/memory")
        #expect(CgroupSet.field("oom_kill", in: "oom_kill_disable 0\noom_kill 3\n") == 3)
    }
}

@Suite("Rlimit plan")
struct RlimitPlanTests {
    @Test func memoryIsTheAddressSpaceLimitOnlyWithoutACgroup() {
        let limits = SandboxSpec.Limits(cpuSeconds: 5, memoryMB: 100, pids: 7, openFiles: 64)
        let with = RlimitPlan.build(limits, cgroupEnforced: true)
        let without = RlimitPlan.build(limits, cgroupEnforced: false)
        func value(_ plan: [RlimitPlan.Entry], _ r: Int32) -> UInt64? { plan.first { $0.resource == r }?.hard }
        #expect(value(with, RlimitPlan.addressSpace) == 400 << 20)
        #expect(value(without, RlimitPlan.addressSpace) == 100 << 20)
        #expect(value(with, RlimitPlan.nproc) == 7 && value(with, RlimitPlan.nofile) == 64 && value(with, RlimitPlan.core) == 0)
        #expect(with.first { $0.resource == RlimitPlan.cpu } == RlimitPlan.Entry(resource: 0, soft: 5, hard: 6))
        #expect(RlimitPlan.build(SandboxSpec.Limits(), cgroupEnforced: true).allSatisfy { $0.resource != RlimitPlan.cpu })
    }
}
