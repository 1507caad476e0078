import Foundation
import Testing
import WardenCore

extension SandboxEndToEnd {
/// Attacks that need host-side setup (planted files, listeners, processes) or check limits.
@Suite("Escape suite: host-facing attacks and limits")
struct EscapeHostTests {
    @Test(arguments: Harness.Mode.allCases)
    func plantedHostSecretIsInvisibleAndUnreadable(mode: Harness.Mode) throws {
        // As root the tool's directory may sit under a root-only parent (like ~/.warden under
        // /root): Warden binds it with its own credentials; file permissions still apply inside.
        let parent = try Harness.tempDir("private")
        if mode == .root { chmod(parent, 0o700) }
        let dir = parent + "/pub"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        chmod(dir, 0o755)
        let secret = dir + "/secret", open = dir + "/public"
        try "top secret\n".write(toFile: secret, atomically: false, encoding: .utf8)
        try "public\n".write(toFile: open, atomically: false, encoding: .utf8)
        chmod(secret, 0o600)
        chmod(open, 0o644)
        // Not mounted: the host path simply does not exist inside.
        #expect(try Harness.probe(mode, ["read", secret]).verdict.hasPrefix("err ENOENT"))
        // Mounted: the sandbox uid is not the owner, so a 0600 file stays unreadable.
        let flags = ["--ro", dir + ":/mnt/d"]
        #expect(try Harness.probe(mode, flags: flags, ["read", "/mnt/d/secret"]).verdict.hasPrefix("err EACCES"))
        #expect(try Harness.probe(mode, flags: flags, ["read", "/mnt/d/public"]).verdict.hasPrefix("ok"))
    }

    /// Binds are recursive, so a bind of the host's root would carry its /proc, /sys and /dev
    /// along: they are hidden inside (the host's processes, command lines and kernel
    /// settings stay out of reach), while the rest of the tree reads as usual.
    @Test(arguments: Harness.Mode.allCases)
    func hostKernelFilesystemsInsideABindAreHidden(mode: Harness.Mode) throws {
        let flags = ["--ro", "/:/host"]
        for path in ["/host/proc/1/cmdline", "/host/proc/sys/kernel/hostname", "/host/sys/kernel/notes", "/host/dev/null"] {
            let r = try Harness.probe(mode, flags: flags, ["read", path])
            #expect(r.verdict.hasPrefix("err EACCES"), "\(path): \(r.stdout) \(r.stderr)")
        }
        let ok = try Harness.probe(mode, flags: flags, ["read", "/host/etc/passwd"])
        #expect(ok.verdict.hasPrefix("ok"), "\(ok.stdout) \(ok.stderr)")
        let own = try Harness.probe(mode, flags: flags, ["read", "/proc/self/status"])
        #expect(own.verdict.hasPrefix("ok"), "the sandbox's own /proc: \(own.stdout) \(own.stderr)")
    }

    /// A bind source on or under one of the host's kernel filesystems (including the tmpfs
    /// mounts inside them: /sys/fs/cgroup here, /dev/shm) is refused before anything runs.
    @Test(arguments: Harness.Mode.allCases)
    func hostKernelFilesystemSourcesAreRefused(mode: Harness.Mode) throws {
        for source in ["/proc", "/proc/sys", "/sys", "/sys/fs/cgroup", "/dev", "/dev/pts", "/dev/shm"] {
            let r = try Harness.exec(mode, flags: ["--ro", source + ":/k"], ["/bin/true"])
            #expect(r.status == 126, "\(source): status \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("sandbox.mount_source_kernel"), "\(source): \(r.stderr)")
        }
        let ok = try Harness.probe(mode, flags: ["--ro", "/usr/share:/k"], ["chdir", "/k"])
        #expect(ok.verdict.hasPrefix("ok"), "\(ok.stdout) \(ok.stderr)")
    }

    @Test(arguments: Harness.Mode.allCases)
    func writableDirectoryKeepsHostOwnershipAndNothingElseIsWritable(mode: Harness.Mode) throws {
        let owner: uid_t = mode == .root ? 1234 : 65534
        let dir = try Harness.tempDir("rw", owner: owner)
        let flags = ["--rw", dir + ":/work"]
        let ok = try Harness.probe(mode, flags: flags, ["write", "/work/out.txt"])
        #expect(ok.verdict.hasPrefix("ok"), "\(ok.stdout) \(ok.stderr)")
        var st = stat()
        #expect(stat(dir + "/out.txt", &st) == 0)
        #expect(st.st_uid == owner && st.st_gid == owner, "created file owned by \(st.st_uid):\(st.st_gid)")
        #expect(try Harness.probe(mode, flags: flags, ["write", "/opt/probe/pwned"]).verdict.hasPrefix("err EROFS"))
        if mode == .root {
            // ramfs cannot be idmapped: refuse rather than bind it writable some other way.
            let ram = try Harness.tempDir("ramfs")
            #expect(mount("ramfs", ram, "ramfs", 0, nil) == 0, "mount ramfs: errno \(errno)")
            defer { umount(ram) }
            let refused = try Harness.exec(.root, flags: ["--rw", ram + ":/k"], ["/bin/true"])
            #expect(refused.status == 126 && refused.stderr.contains("[sandbox.idmap_unavailable]"), "\(refused.stderr)")
        }
        #expect(try Harness.probe(mode, flags: flags, ["write", "/work/../pwned"]).verdict.hasPrefix("err EROFS"))
    }

    /// A writable tree is idmapped to its host owner, so a file the program makes there is the
    /// owner's on the host: with root's directory, a setuid bit would leave a setuid-root
    /// binary on the host. No set-user-ID or set-group-ID bit can be set (chmod, create,
    /// mkdir), while ordinary modes can.
    @Test(arguments: Harness.Mode.allCases)
    func noSetuidOrSetgidFileCanBeLeftOnTheHost(mode: Harness.Mode) throws {
        let dir = try Harness.tempDir("suid", owner: mode == .root ? 0 : 65534)
        let flags = ["--rw", dir + ":/w"]
        #expect(try Harness.probe(mode, flags: flags, ["write", "/w/f"]).verdict.hasPrefix("ok"))
        for bits in ["4755", "2755", "6755", "104755"] {
            let chmodded = try Harness.probe(mode, flags: flags, ["chmod", "/w/f", bits])
            #expect(chmodded.verdict.hasPrefix("err EPERM"), "chmod \(bits): \(chmodded.stdout) \(chmodded.stderr)")
            let created = try Harness.probe(mode, flags: flags, ["create", "/w/c\(bits)", bits])
            #expect(created.verdict.hasPrefix("err EPERM"), "create \(bits): \(created.stdout)")
        }
        #expect(try Harness.probe(mode, flags: flags, ["mkdir-mode", "/w/d", "2777"]).verdict.hasPrefix("err EPERM"))
        // The controls: ordinary modes, sticky directories.
        #expect(try Harness.probe(mode, flags: flags, ["chmod", "/w/f", "755"]).verdict.hasPrefix("ok"))
        #expect(try Harness.probe(mode, flags: flags, ["create", "/w/plain", "644"]).verdict.hasPrefix("ok"))
        #expect(try Harness.probe(mode, flags: flags, ["mkdir-mode", "/w/sticky", "1777"]).verdict.hasPrefix("ok"))
        var st = stat()
        #expect(stat(dir + "/f", &st) == 0 && st.st_mode & 0o7777 == 0o755, "mode \(String(st.st_mode, radix: 8))")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        for name in names {
            #expect(stat(dir + "/" + name, &st) == 0 && st.st_mode & 0o6000 == 0, "\(name) has mode \(String(st.st_mode, radix: 8))")
        }
    }

    @Test(arguments: Harness.Mode.allCases)
    func symlinksAndDotDotCannotLeaveTheWritableDirectory(mode: Harness.Mode) throws {
        let owner: uid_t = mode == .root ? 0 : 65534
        let dir = try Harness.tempDir("links", owner: owner)
        let outside = try Harness.tempDir("outside")
        try "host file\n".write(toFile: outside + "/target", atomically: false, encoding: .utf8)
        chmod(outside + "/target", 0o644)
        try "inside\n".write(toFile: dir + "/inner", atomically: false, encoding: .utf8)
        chmod(dir + "/inner", 0o644)
        symlink(outside + "/target", dir + "/abs-link")
        symlink("../../../../../../" + outside + "/target", dir + "/rel-link")
        symlink("inner", dir + "/good-link")
        let flags = ["--rw", dir + ":/work"]
        #expect(try Harness.probe(mode, flags: flags, ["read", "/work/abs-link"]).verdict.hasPrefix("err ENOENT"))
        #expect(try Harness.probe(mode, flags: flags, ["read", "/work/rel-link"]).verdict.hasPrefix("err ENOENT"))
        #expect(try Harness.probe(mode, flags: flags, ["read", "/work/../../../" + outside + "/target"]).verdict.hasPrefix("err ENOENT"))
        // A symlink the tool makes itself resolves inside the sandbox too.
        #expect(try Harness.probe(mode, flags: flags, ["symlink", "/etc/shadow", "/work/made"]).verdict.hasPrefix("ok"))
        #expect(try Harness.probe(mode, flags: flags, ["read", "/work/made"]).verdict.hasPrefix("err ENOENT"))
        #expect(try Harness.probe(mode, flags: flags, ["read", "/work/good-link"]).verdict.hasPrefix("ok"))
    }

    @Test(arguments: Harness.Mode.allCases)
    func loopbackListenerAndAbstractSocketOnTheHostAreUnreachable(mode: Harness.Mode) throws {
        let tcp = try HostListener.tcp()
        defer { close(tcp.fd) }
        #expect(HostListener.connectTCP(port: tcp.port), "control: the host itself can connect")
        let denied = try Harness.probe(mode, ["connect", String(tcp.port)])
        #expect(denied.verdict.hasPrefix("err "), "\(denied.stdout)")

        let name = "warden-test-\(getpid())-\(mode.rawValue)"
        let unixFD = try HostListener.abstractUnix(name)
        defer { close(unixFD) }
        #expect(HostListener.connectAbstract(name), "control: the host itself can connect")
        let refused = try Harness.probe(mode, ["unix-abstract", name])
        #expect(refused.verdict.hasPrefix("err "), "\(refused.stdout)")
        #expect(try Harness.probe(mode, ["socketpair"]).verdict.hasPrefix("ok"))
    }

    /// A host daemon's path socket inside a bound tree accepts any uid (mode 0666 or 0777),
    /// read-only mount or not, and Landlock cannot restrict connecting to it: the sandbox
    /// cannot create AF_UNIX sockets unless `--allow-unix-sockets` says so. socketpair works.
    @Test(arguments: Harness.Mode.allCases)
    func hostPathSocketInABoundTreeIsUnreachable(mode: Harness.Mode) throws {
        let dir = try Harness.tempDir("sock")
        let path = dir + "/daemon.sock"
        let fd = try HostListener.pathUnix(path)
        defer { close(fd); unlink(path) }
        #expect(HostListener.connectUnix(path, abstract: false), "control: the host itself can connect")
        let flags = ["--ro", dir + ":/run/host"]
        let denied = try Harness.probe(mode, flags: flags, ["unix-path", "/run/host/daemon.sock"])
        #expect(denied.verdict.hasPrefix("err EPERM"), "\(denied.stdout) \(denied.stderr)")
        #expect(try Harness.probe(mode, flags: flags, ["socketpair"]).verdict.hasPrefix("ok"))
        // The opt-in does what it says (and is why it is not the default).
        let opened = try Harness.probe(mode, flags: flags + ["--allow-unix-sockets"], ["unix-path", "/run/host/daemon.sock"])
        #expect(opened.verdict.hasPrefix("ok"), "\(opened.stdout) \(opened.stderr)")
    }

    @Test(arguments: Harness.Mode.allCases)
    func killMinusOneOnlyReachesTheSandbox(mode: Harness.Mode) throws {
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["30"]
        try sleeper.run()
        defer { sleeper.terminate() }
        let r = try Harness.probe(mode, ["kill-all"])
        #expect(r.verdict.hasPrefix("ok kill"), "control: kill(-1) succeeds against the sandbox's own child")
        #expect(sleeper.isRunning, "host process must survive kill -9 -1 from inside")
    }

    @Test(arguments: Harness.Mode.allCases)
    func forkBombIsContainedAndWardenStaysResponsive(mode: Harness.Mode) throws {
        let r = try Harness.probe(mode, flags: ["--pids", "32", "--timeout", "30"], ["fork-bomb"])
        #expect(r.verdict.hasPrefix("err EAGAIN"), "\(r.stdout)")
        #expect(r.status == 1)
        #expect(try Harness.probe(mode, ["fork"]).verdict.hasPrefix("ok"))
    }

    @Test(arguments: Harness.Mode.allCases)
    func memoryBombIsContained(mode: Harness.Mode) throws {
        let r = try Harness.probe(mode, flags: ["--memory", "64", "--json"], ["mem-bomb", "1024"])
        let report = try #require(r.report)
        if mode == .root {
            // cgroup v1/v2 memory limit: the OOM killer ends the tree.
            #expect(r.status == 137, "\(r.stdout)")
            #expect(report["limits_hit"]?.arrayValue?.contains(.string("memory")) == true)
        } else {
            // rlimit fallback: allocation fails inside the process.
            #expect(r.verdict.hasPrefix("err ENOMEM"), "\(r.stdout)")
        }
        #expect(try Harness.probe(mode, flags: ["--memory", "64"], ["mem-bomb", "16"]).verdict.hasPrefix("ok"))
    }

    @Test(arguments: Harness.Mode.allCases)
    func diskFillOfTmpHitsTheTmpfsCap(mode: Harness.Mode) throws {
        let r = try Harness.probe(mode, ["disk-fill", "/tmp/fill", "4096"])
        #expect(r.verdict.hasPrefix("err ENOSPC") || r.verdict.hasPrefix("err EFBIG"), "\(r.stdout)")
        #expect(try Harness.probe(mode, ["disk-fill", "/tmp/small", "1"]).verdict.hasPrefix("ok"))
    }

    @Test(arguments: Harness.Mode.allCases)
    func fdExhaustionStopsAtTheLimit(mode: Harness.Mode) throws {
        let r = try Harness.probe(mode, flags: ["--nofile", "64"], ["fd-exhaust"])
        #expect(r.verdict.hasPrefix("err EMFILE after 61"), "\(r.stdout)")
        #expect(try Harness.probe(mode, ["fds"]).verdict == "ok 3 open")
    }

    @Test(arguments: Harness.Mode.allCases)
    func outputFloodIsCappedAndDrained(mode: Harness.Mode) throws {
        let r = try Harness.probe(mode, flags: ["--output-limit", "1000", "--json"], ["flood", "20"])
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first?.count == 1000 && lines.first?.allSatisfy { $0 == "A" } == true)
        let report = try #require(r.report)
        #expect(report["stdout_truncated"] == .bool(true))
        #expect(report["stdout_bytes"] == .int(20 << 20))
        #expect(r.status == 0)
        #expect(try Harness.probe(mode, flags: ["--output-limit", "1000"], ["echo", "small"]).stdout == "ok small\n")
    }

    @Test(arguments: Harness.Mode.allCases)
    func doubleForkedDaemonDoesNotOutliveTheRun(mode: Harness.Mode) throws {
        let token = "WARDEN-DAEMON-\(UUID().uuidString.prefix(8))"
        let r = try Harness.probe(mode, ["daemon", token])
        #expect(r.verdict.hasPrefix("ok daemon running"), "control: the daemon did start: \(r.stdout)")
        #expect(Harness.processes(containing: token).isEmpty)
    }

    @Test(arguments: Harness.Mode.allCases)
    func sleepingPastTheTimeoutIsKilledWith124(mode: Harness.Mode) throws {
        let token = "WARDEN-SLEEP-\(UUID().uuidString.prefix(8))"
        let r = try Harness.probe(mode, flags: ["--timeout", "1", "--json"], ["hold", "30", token])
        #expect(r.status == 124)
        #expect(try #require(r.report)["timed_out"] == .bool(true))
        #expect(Harness.processes(containing: token).isEmpty)
        #expect(try Harness.probe(mode, flags: ["--timeout", "5"], ["sleep", "0"]).status == 0)
    }

    @Test(arguments: Harness.Mode.allCases)
    func cpuLimitStopsASpinningProgram(mode: Harness.Mode) throws {
        let r = try Harness.probe(mode, flags: ["--cpu", "1", "--timeout", "20", "--json"], ["spin"])
        #expect(r.status == 128 + SIGXCPU || r.status == 137, "\(r.status)")
        #expect(try #require(r.report)["limits_hit"]?.arrayValue?.contains(.string("cpu")) == true)
    }

    @Test(arguments: Harness.Mode.allCases)
    func inheritedFileDescriptorsAreClosed(mode: Harness.Mode) throws {
        let e = try Harness.environment()
        var inner = "\(e.warden) exec --no-stdin --ro \(e.probeDir):/opt/probe"
        if mode == .rootless { inner = "/usr/bin/setpriv --reuid 65534 --regid 65534 --clear-groups " + inner + " --rlimit-fallback" }
        let attack = Harness.raw("/bin/sh", ["-c", "exec 7</etc/hostname; exec \(inner) -- /opt/probe/warden-probe fd 7"])
        #expect(attack.verdict.hasPrefix("err EBADF"), "\(attack.stdout) \(attack.stderr)")
        let control = Harness.raw("/bin/sh", ["-c", "exec 7</etc/hostname; exec \(inner) -- /opt/probe/warden-probe fd 1"])
        #expect(control.verdict.hasPrefix("ok"))
    }

    @Test(arguments: Harness.Mode.allCases)
    func shellCannotRunABinaryThatIsNotAllowed(mode: Harness.Mode) throws {
        let denied = try Harness.exec(mode, ["/bin/sh", "-c", "cat /etc/passwd"])
        #expect(denied.status == 126, "\(denied.status) \(denied.stderr)")
        #expect(!denied.stdout.contains("sandbox:x:"))
        let allowed = try Harness.exec(mode, flags: ["--allow-exec", "/usr/bin/cat"], ["/bin/sh", "-c", "cat /etc/passwd"])
        #expect(allowed.status == 0)
        #expect(allowed.stdout == "sandbox:x:1000:1000:sandbox:/tmp:/bin/sh\n")
    }

    @Test(arguments: Harness.Mode.allCases)
    func setuidBinaryGainsNothing(mode: Harness.Mode) throws {
        let e = try Harness.environment()
        let dir = try Harness.tempDir("suid")
        try FileManager.default.copyItem(atPath: e.probe, toPath: dir + "/suid-probe")
        chown(dir + "/suid-probe", 0, 0)
        chmod(dir + "/suid-probe", 0o4755)
        let flags = ["--ro", dir + ":/opt/suid", "--allow-exec", "/opt/suid/suid-probe"]
        let r = try Harness.probe(mode, flags: flags, ["exec", "/opt/suid/suid-probe", "whoami"])
        #expect(r.verdict == "ok uid=1000 euid=1000 gid=1000 egid=1000", "\(r.stdout) \(r.stderr)")
        #expect(try Harness.probe(mode, ["caps"]).verdict.contains("CapInh:\t0000000000000000 CapPrm:\t0000000000000000 CapEff:\t0000000000000000 CapBnd:\t0000000000000000 CapAmb:\t0000000000000000"))
        #expect(try Harness.probe(mode, ["nnp"]).verdict == "ok nnp=1")
    }

    @Test(arguments: Harness.Mode.allCases)
    func hostHostnameIsUntouched(mode: Harness.Mode) throws {
        let before = ProcessInfo.processInfo.hostName
        #expect(try Harness.probe(mode, ["sethostname", "evil"]).verdict.hasPrefix("err EPERM"))
        #expect(try Harness.probe(mode, ["hostname"]).verdict == "ok warden")
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, 255)
        #expect(String(cString: buf) != "evil")
        #expect(ProcessInfo.processInfo.hostName == before)
    }

    @Test func executingFromAMemfdIsBlockedAsRoot() throws {
        // No memfd at all (seccomp, CodeLoadingTests); with --allow-jit one can be created,
        // and root mode's sysctl still keeps it from being executed.
        let r = try Harness.probe(.root, ["memfd-exec"])
        #expect(r.verdict == "err EPERM memfd_create", "\(r.stdout)")
        let jit = try Harness.probe(.root, flags: ["--allow-jit"], ["memfd-exec"])
        #expect(jit.verdict == "err EACCES fexecve", "\(jit.stdout)")
        #expect(try Harness.probe(.root, ["exec", "/opt/probe/warden-probe", "echo", "hi"]).verdict == "ok hi")
        // The sysctl is per PID namespace: the host keeps its own value.
        #expect((try? String(contentsOfFile: "/proc/sys/vm/memfd_noexec", encoding: .utf8)) != "2\n")
        // Rootless cannot set it (global-root-only sysctl); the report says so.
        let rootless = try Harness.probe(.rootless, flags: ["--json"], ["echo", "x"])
        #expect(try #require(rootless.report)["enforcement"]?["memfd_noexec"] == .string("not enforced (rootless)"))
    }

    @Test(arguments: Harness.Mode.allCases)
    func int80SyscallsKillTheProcess(mode: Harness.Mode) throws {
        let r = try Harness.probe(mode, ["int80"])
        #expect(r.status == 128 + SIGSYS, "\(r.status) \(r.stdout)")
        #expect(r.stdout.isEmpty)
        #expect(try Harness.probe(mode, ["getpid"]).verdict == "ok pid=2")
    }

    @Test(arguments: Harness.Mode.allCases)
    func sigtermToWardenReachesTheProgram(mode: Harness.Mode) throws {
        let token = "WARDEN-TRAP-\(UUID().uuidString.prefix(8))"
        let pipe = Pipe()
        let p = try Harness.startProbe(mode, ["trap", token], stdout: pipe)
        // The probe prints its first line only after installing its SIGTERM handler.
        let first = String(decoding: pipe.fileHandleForReading.availableData, as: UTF8.self)
        #expect(first.hasPrefix("ok waiting \(token)"))
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        let out = first + String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationReason == .exit && p.terminationStatus == 0, "\(p.terminationStatus) \(out)")
        #expect(out.contains("ok got signal 15"), "\(out)")
    }

    @Test(arguments: Harness.Mode.allCases)
    func programRunsAsAnUnprivilegedHostUidAndDiesWithWarden(mode: Harness.Mode) throws {
        let token = "WARDEN-ID-\(UUID().uuidString.prefix(8))"
        let (p, pid) = try Harness.holdingProbe(mode, token: token)
        let status = String(decoding: FileManager.default.contents(atPath: "/proc/\(pid)/status") ?? Data(), as: UTF8.self)
        let uidLine = status.split(separator: "\n").first { $0.hasPrefix("Uid:") }.map(String.init) ?? ""
        let expected = mode == .root ? "1999900000" : "65534"
        #expect(uidLine.split(separator: "\t").dropFirst().allSatisfy { $0 == expected }, "\(uidLine)")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        var left = Harness.processes(containing: token)
        for _ in 0..<200 where !left.isEmpty {
            usleep(10000)
            left = Harness.processes(containing: token)
        }
        #expect(left.isEmpty, "sandbox must die with warden")
    }
}
}

/// Host-side sockets the sandbox must not reach.
enum HostListener {
    static func tcp() throws -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { ptr in
            ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else { throw Harness.Failure(description: "cannot listen on loopback") }
        return (fd, UInt16(bigEndian: addr.sin_port))
    }

    static func connectTCP(port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        addr.sin_port = port.bigEndian
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// An abstract name (leading NUL) or, with `abstract` false, a filesystem path.
    private static func unixAddress(_ name: String, abstract: Bool) -> (sockaddr_un, socklen_t) {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(name.utf8)
        let offset = abstract ? 1 : 0
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw[0] = 0
            for (i, b) in bytes.enumerated() where i + offset + 1 < raw.count { raw[i + offset] = b }
        }
        return (addr, socklen_t(2 + offset + bytes.count))
    }

    static func abstractUnix(_ name: String) throws -> Int32 { try unixListener(name, abstract: true) }

    /// A listening path socket anyone may connect to (mode 0777, like D-Bus's or journald's).
    static func pathUnix(_ path: String) throws -> Int32 {
        let fd = try unixListener(path, abstract: false)
        chmod(path, 0o777)
        return fd
    }

    private static func unixListener(_ name: String, abstract: Bool) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var (addr, len) = unixAddress(name, abstract: abstract)
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && listen(fd, 8) == 0 }
        }
        guard ok else { throw Harness.Failure(description: "cannot bind unix socket \(name)") }
        return fd
    }

    static func connectAbstract(_ name: String) -> Bool { connectUnix(name, abstract: true) }

    static func connectUnix(_ name: String, abstract: Bool) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var (addr, len) = unixAddress(name, abstract: abstract)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, len) == 0 }
        }
    }
}
