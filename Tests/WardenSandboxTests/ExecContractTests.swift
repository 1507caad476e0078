import Foundation
import Testing
import WardenCore
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

    @Test func invalidSpecThrowsBeforeAnythingRuns() {
        #expect(throws: WardenError.self) {
            _ = try Sandbox.run(SandboxSpec(command: "/bin/true", network: .loopback), output: nil)
        }
    }
}

/// Runs the nastiest cases again and checks that nothing of them is left on the host.
@Suite("Leak check")
struct LeakCheckTests {
    static func cgroupDirs() -> [String] {
        var found: [String] = []
        let roots = ["/sys/fs/cgroup"]
        for root in roots {
            guard let e = FileManager.default.enumerator(atPath: root) else { continue }
            while let path = e.nextObject() as? String {
                if (path as NSString).lastPathComponent.hasPrefix("warden-") { found.append(path) }
                if path.split(separator: "/").count > 4 { e.skipDescendants() }
            }
        }
        return found
    }

    static func stagingDirs() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []).filter { $0.hasPrefix("warden-root-") }
    }

    static func mountsMentioningWarden() -> [String] {
        let text = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init).filter { $0.contains("warden-root-") || $0.contains("warden-escape") }
    }

    @Test func nothingSurvivesTheSuite() throws {
        let token = "WARDEN-LEAK-\(UUID().uuidString.prefix(8))"
        for mode in Harness.Mode.allCases {
            _ = try Harness.probe(mode, ["daemon", token])
            _ = try Harness.probe(mode, flags: ["--timeout", "1"], ["hold", "30", token])
            _ = try Harness.probe(mode, flags: ["--pids", "16"], ["fork-bomb"])
            _ = try Harness.probe(mode, flags: ["--memory", "32"], ["mem-bomb", "512"])
            _ = try Harness.probe(mode, flags: ["--output-limit", "10"], ["flood", "4"])
            _ = try Harness.exec(mode, ["/usr/bin/definitely-missing"])
        }
        #expect(Harness.processes(containing: token).isEmpty, "no process")
        #expect(Self.cgroupDirs().isEmpty, "no cgroup: \(Self.cgroupDirs())")
        #expect(Self.stagingDirs().isEmpty, "no staging dir: \(Self.stagingDirs())")
        #expect(Self.mountsMentioningWarden().isEmpty, "no mount")
        let ids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init)
        let sandboxed = ids.filter { pid in
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            return status.contains("\t1999900000\t") || status.contains("\t1999900001\t")
        }
        #expect(sandboxed.isEmpty, "no process runs as the sandbox host uid")
    }
}
}
