import Foundation
import Testing
import WardenCore
import WardenNet
import WardenSandbox

extension SandboxEndToEnd {
/// `warden exec`'s exit-status contract and its one-line errors.
@Suite("warden exec contract")
struct ExecContractTests {
    @Test(arguments: Harness.Mode.allCases)
    func passesTheProgramsStatusThrough(mode: Harness.Mode) throws {
        #expect(try Harness.probe(mode, ["exit", "7"]).status == 7)
        #expect(try Harness.probe(mode, ["exit", "0"]).status == 0)
        #expect(try Harness.probe(mode, ["signal", "15"]).status == 143)
        let notFound = try Harness.exec(mode, ["/usr/bin/definitely-not-here"])
        #expect(notFound.status == 127)
        #expect(notFound.stderr.contains("[sandbox.command_not_found]"))
        let byName = try Harness.exec(mode, ["true"])
        #expect(byName.status == 0, "PATH lookup inside the sandbox: \(byName.stderr)")
    }

    @Test func refusesUnsupportedNetworkModesAndBadInput() throws {
        let e = try Harness.environment()
        let net = Harness.raw(e.warden, ["exec", "--net", "host", "--", "/bin/true"])
        #expect(net.status == 126)
        #expect(net.stderr.contains("[sandbox.network_unsupported]"))
        let unknown = Harness.raw(e.warden, ["exec", "--net", "bridge", "--", "/bin/true"])
        #expect(unknown.status == 125)
        let cases: [([String], String)] = [
            (["exec", "--", ], "[exec.no_command]"),
            (["exec", "--ro", "relative/path", "--", "/bin/true"], "[sandbox.path_relative]"),
            (["exec", "--ro", "/usr:/a/../b", "--", "/bin/true"], "[sandbox.path_dotdot]"),
            (["exec", "--ro", "/does/not/exist", "--", "/bin/true"], "[sandbox.mount_source_missing]"),
            (["exec", "--memory", "1", "--", "/bin/true"], "[sandbox.limit_memory]"),
            (["exec", "--timeout", "0", "--", "/bin/true"], "[sandbox.limit_timeout]"),
            (["exec", "--env", "NOEQUALS", "--", "/bin/true"], "[exec.env_invalid]"),
            (["exec", "--tmpfs", "/scratch:lots", "--", "/bin/true"], "[exec.tmpfs_size]"),
            (["exec", "--allow-exec", "/nope", "--", "/bin/true"], "[sandbox.allow_exec_missing]"),
            (["exec", "--cwd", "/nonexistent", "--", "/bin/true"], "[sandbox.cwd_invalid]"),
        ]
        for (args, code) in cases {
            let r = Harness.raw(e.warden, args)
            #expect(r.stderr.contains(code), "\(args): \(r.stderr)")
            #expect([125, 126, 127].contains(r.status), "\(args): \(r.status)")
            #expect(r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")
        }
    }

    /// Plain exec calls take a hand-written fast path; everything else falls back to
    /// ArgumentParser, which must still give help and its usual errors.
    @Test func fastPathAndArgumentParserAgree() throws {
        let e = try Harness.environment()
        let help = Harness.raw(e.warden, ["exec", "--help"])
        #expect(help.status == 0 && help.stdout.contains("--allow-exec"))
        let unknown = Harness.raw(e.warden, ["exec", "--bogus", "--", "/bin/true"])
        #expect(unknown.status == 125)
        let badNumber = Harness.raw(e.warden, ["exec", "--pids", "many", "--", "/bin/true"])
        #expect(badNumber.status == 125)
        // The same run spelled both ways (--flag=value only parses on the fast path's inline
        // branch; a flag after a valueless switch exercises the loop) behaves the same.
        let a = Harness.raw(e.warden, ["exec", "--no-stdin", "--env=K=v", "--allow-exec", "/usr/bin/env", "--", "/usr/bin/env"])
        let b = Harness.raw(e.warden, ["exec", "--env", "K=v", "--no-stdin", "--allow-exec=/usr/bin/env", "--", "/usr/bin/env"])
        #expect(a.status == 0 && a.stdout == b.stdout && a.stdout.contains("K=v\n"))
        #expect(!a.stdout.contains("WARDEN_TEST_SECRET"))
    }

    @Test func rootlessWithoutDelegatedCgroupRefusesUnlessFallbackIsExplicit() throws {
        let e = try Harness.environment()
        let r = Harness.raw("/usr/bin/setpriv", ["--reuid", "65534", "--regid", "65534", "--clear-groups",
                                                 e.warden, "exec", "--no-stdin", "--", "/bin/true"])
        // This host's cgroups are root-owned: fail closed with a clear reason.
        #expect(r.status == 126)
        #expect(r.stderr.contains("[sandbox.cgroup_unavailable]"))
    }

    @Test(arguments: Harness.Mode.allCases)
    func tmpfsAndCwdAndEnvironmentOptions(mode: Harness.Mode) throws {
        let r = try Harness.probe(mode, flags: ["--tmpfs", "/scratch:8", "--cwd", "/scratch", "--env", "A=b"], ["write", "rel.txt"])
        #expect(r.verdict == "ok rel.txt")
        #expect(try Harness.probe(mode, ["env", "PATH"]).verdict == "ok PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
        #expect(try Harness.probe(mode, ["env", "HOME"]).verdict == "ok HOME=/tmp")
    }

    @Test(arguments: Harness.Mode.allCases)
    func ttyGivesTheProgramAControllingTerminal(mode: Harness.Mode) throws {
        let r = try Harness.probe(mode, flags: ["--tty"], ["tty"])
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.hasPrefix("ok tty=111 ctty=1 sid=1"), "\(r.stdout)")
        #expect(!r.stdout.contains("TIOCSTI ALLOWED"))
        // Without --tty there is no terminal and no /dev/tty.
        #expect(try Harness.probe(mode, ["tty"]).verdict.hasPrefix("err ENOTTY tty=000"))
    }

    @Test func jsonReportDescribesTheRun() throws {
        let r = try Harness.probe(.root, flags: ["--json"], ["echo", "hi"])
        let report = try #require(r.report)
        #expect(report["status"] == .int(0))
        #expect(report["exit_code"] == .int(0))
        #expect(report["timed_out"] == .bool(false))
        #expect(report["stdout_bytes"] == .int(6))
        #expect(report["enforcement"]?["mode"] == .string("root"))
        #expect(report["enforcement"]?["landlock_abi"]?.stringValue.flatMap(Int.init).map { $0 >= 1 } == true)
        #expect(report["enforcement"]?["limits"]?.stringValue?.hasPrefix("cgroup") == true)
    }
}

/// The in-process API (what `warden run` will use): streaming, capture caps, no fd growth.
@Suite("Sandbox.run in process")
struct InProcessTests {
    final class Collector: SandboxOutput {
        var out: [UInt8] = []
        var err: [UInt8] = []
        func write(stream: SandboxStream, bytes: UnsafeRawBufferPointer) {
            if stream == .stdout { out += bytes } else { err += bytes }
        }
    }

    static func openFDs() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
    }

    @Test func streamsCapturesAndLeaksNoDescriptors() throws {
        let spec = SandboxSpec(command: "/bin/sh", arguments: ["-c", "echo out; echo err >&2; exit 3"])
        _ = try Sandbox.run(spec, output: nil)
        let before = Self.openFDs()
        for _ in 0..<5 {
            let sink = Collector()
            let report = try Sandbox.run(spec, output: sink, captureLimit: 2)
            #expect(report.status == 3)
            #expect(sink.out == Array("out\n".utf8))
            #expect(sink.err == Array("err\n".utf8))
            #expect(report.capturedStdout == Array("ou".utf8))
            #expect(report.capturedStderr == Array("er".utf8))
        }
        #expect(Self.openFDs() == before)
    }

    /// `beforeStart` (where `warden run` commits its records) finishes before the program
    /// starts: the program's first act is to read the clock, which is never earlier than the
    /// end of the hook, and the hook's time does not count against the program's wall time.
    @Test func beforeStartRunsOnceBeforeTheProgram() throws {
        let spec = SandboxSpec(command: "/usr/bin/date", arguments: ["+%s%N"])
        let sink = Collector()
        var calls = 0
        var hookEnd: Int64 = 0
        let report = try Sandbox.run(spec, output: sink) { () throws(WardenError) in
            calls += 1
            usleep(300_000)
            var ts = timespec()
            clock_gettime(CLOCK_REALTIME, &ts)
            hookEnd = Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
        }
        #expect(report.status == 0 && calls == 1)
        let started = Int64(String(decoding: sink.out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(started >= hookEnd, "the program ran \(hookEnd - started) ns before the hook returned")
        #expect(report.wallMillis < 300, "the hook's wait was counted as the program's: \(report.wallMillis) ms")
    }

    /// A hook that fails (a ledger that cannot commit) means nothing runs, nothing is left.
    @Test func beforeStartFailureRunsNothing() throws {
        let token = "WARDEN-HOOK-\(UUID().uuidString.prefix(8))"
        let spec = SandboxSpec(command: "/bin/sh", arguments: ["-c", "echo \(token); sleep 5"])
        _ = try Sandbox.run(SandboxSpec(command: "/bin/true"), output: nil)
        let before = Self.openFDs()
        let sink = Collector()
        var code: String?
        do {
            _ = try Sandbox.run(spec, output: sink) { () throws(WardenError) in throw .usage("test.refused", "no") }
        } catch {
            code = error.code
        }
        #expect(code == "test.refused")
        #expect(sink.out.isEmpty && sink.err.isEmpty)
        #expect(Harness.processes(containing: token).isEmpty)
        #expect(Self.openFDs() == before)
    }

    /// The same with an egress grant: the proxy, stub and relay threads stop and their
    /// sockets close although the program never started.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft")))
    func beforeStartFailureStopsTheEgressThreads() throws {
        var spec = SandboxSpec(command: "/bin/true", network: .egress)
        spec.egress = SandboxSpec.Egress(grant: EgressGrant(rules: [try EgressRule(parsing: "192.0.2.1:9"), try EgressRule(parsing: "192.0.2.1:9/udp")]),
                                         resolvers: [])
        spec.limits.allowRlimitFallback = true
        _ = try Sandbox.run(spec, output: nil)
        let before = (Self.openFDs(), Self.threads())
        for _ in 0..<3 {
            var code: String?
            do {
                _ = try Sandbox.run(spec, output: nil) { () throws(WardenError) in throw .usage("test.refused", "no") }
            } catch {
                code = error.code
            }
            #expect(code == "test.refused")
        }
        #expect(Self.openFDs() == before.0, "descriptors left behind")
        #expect(Self.threads() <= before.1, "threads left behind")
    }

    static func threads() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? -1
    }

    @Test func invalidSpecThrowsBeforeAnythingRuns() {
        #expect(throws: WardenError.self) {
            _ = try Sandbox.run(SandboxSpec(command: "/bin/true", network: .loopback), output: nil)
        }
    }
}

/// Runs the nastiest cases again and checks that nothing of them is left on the host.
@Suite("Leak check")
struct LeakCheckTests {
    /// Per-run cgroups (`warden-<pid>-…`) and staging dirs (`warden-root-<pid>-…`) of the given
    /// Wardens. Other programs on the machine may run their own sandboxes meanwhile, so only
    /// ours are counted.
    static func leftovers(of pids: Set<Int32>) -> [String] {
        func owned(_ name: String, prefix: String) -> Bool {
            guard name.hasPrefix(prefix), let pid = name.dropFirst(prefix.count).split(separator: "-").first.flatMap({ Int32($0) })
            else { return false }
            return pids.contains(pid)
        }
        var found: [String] = []
        if let e = FileManager.default.enumerator(atPath: "/sys/fs/cgroup") {
            while let path = e.nextObject() as? String {
                if owned((path as NSString).lastPathComponent, prefix: "warden-") { found.append(path) }
                if path.split(separator: "/").count > 4 { e.skipDescendants() }
            }
        }
        found += ((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []).filter { owned($0, prefix: "warden-root-") }
        return found
    }

    static func mountsMentioningWarden() -> [String] {
        let text = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init).filter { $0.contains("warden-root-") || $0.contains("warden-escape") }
    }

    @Test func nothingSurvivesTheSuite() throws {
        let token = "WARDEN-LEAK-\(UUID().uuidString.prefix(8))"
        _ = try Harness.environment()   // compiles the probe on first use
        let before = Harness.spawned.withLock { $0.count }
        for mode in Harness.Mode.allCases {
            _ = try Harness.probe(mode, ["daemon", token])
            _ = try Harness.probe(mode, flags: ["--timeout", "1"], ["hold", "30", token])
            _ = try Harness.probe(mode, flags: ["--pids", "16"], ["fork-bomb"])
            _ = try Harness.probe(mode, flags: ["--memory", "32"], ["mem-bomb", "512"])
            _ = try Harness.probe(mode, flags: ["--output-limit", "10"], ["flood", "4"])
            _ = try Harness.exec(mode, ["/usr/bin/definitely-missing"])
        }
        let ours = Set(Harness.spawned.withLock { Array($0[before...]) })
        #expect(ours.count == 12)
        #expect(Harness.processes(containing: token).isEmpty, "no process")
        // A cgroup can only be removed once empty: no leftover cgroup means no leftover process.
        #expect(Self.leftovers(of: ours).isEmpty, "no cgroup or staging dir: \(Self.leftovers(of: ours))")
        #expect(Self.mountsMentioningWarden().isEmpty, "no mount")
    }
}
}
