import Foundation
import Testing
import WardenCore

/// "Only these programs run" against every indirect way of getting code executed: the
/// loader run directly, files the tool wrote (by path, by descriptor, through /proc), memory
/// made executable, memfds, SysV shared memory, /proc/self/mem. Each attack is paired with the
/// allowed action it imitates, which must still work (root and rootless).
@Suite(.serialized) struct CodeLoadingTests {
    static let loader = "/lib64/ld-linux-x86-64.so.2"

    @Test(arguments: Harness.Mode.allCases)
    func theLoaderRunDirectlyCannotMapAProgramThatIsNotAllowed(mode: Harness.Mode) throws {
        // The reproduction: only env may execute, yet env ran the loader on id.
        let attack = try Harness.exec(mode, ["/usr/bin/env", Self.loader, "/usr/bin/id"])
        #expect(attack.status != 0, "\(attack.stdout)")
        #expect(!attack.stdout.contains("uid="), "\(attack.stdout)")
        #expect(attack.stderr.contains("failed to map segment") || attack.stderr.contains("Permission denied")
                || attack.stderr.contains("Operation not permitted"), "\(attack.stderr)")
        // Allowed: id itself when it is allowed, through the loader too; env running true.
        let direct = try Harness.exec(mode, flags: ["--allow-exec", "/usr/bin/id"], ["/usr/bin/env", Self.loader, "/usr/bin/id"])
        #expect(direct.status == 0 && direct.stdout.contains("uid=1000"), "\(direct.stdout) \(direct.stderr)")
        let env = try Harness.exec(mode, flags: ["--allow-exec", "/usr/bin/true"], ["/usr/bin/env", "true"])
        #expect(env.status == 0, "\(env.stderr)")
    }

    @Test(arguments: Harness.Mode.allCases)
    func aDynamicProgramAndItsLibrariesStillRun(mode: Harness.Mode) throws {
        let r = try Harness.exec(mode, flags: ["--json"], ["/usr/bin/env", "--version"])
        #expect(r.status == 0 && r.stdout.contains("env (GNU coreutils)"), "\(r.stderr)")
        let enforcement = try #require(r.report?["enforcement"])
        #expect(enforcement["executable_memory"] == .string("denied"))
        #expect(enforcement["exec"]?.stringValue?.hasPrefix("noexec view") == true)
    }

    @Test(arguments: Harness.Mode.allCases)
    func filesTheToolWroteNeverExecute(mode: Harness.Mode) throws {
        for (path, how) in [("/tmp/copy", "path"), ("/tmp/copy", "fd"), ("/tmp/copy", "proc"), ("/dev/shm/copy", "path")] {
            let r = try Harness.probe(mode, ["written-exec", path, how])
            #expect(r.verdict.hasPrefix("err EACCES"), "\(path) \(how): \(r.stdout) \(r.stderr)")
        }
        // Nor in a writable tree; mapping it executable fails too.
        let work = try Harness.tempDir("codeload", owner: mode == .rootless ? 65534 : 0)
        let inTree = try Harness.probe(mode, flags: ["--rw", work + ":/work"], ["written-exec", "/work/copy", "path"])
        #expect(inTree.verdict.hasPrefix("err EACCES"), "\(inTree.stdout)")
        #expect(try Harness.probe(mode, flags: ["--rw", work + ":/work"], ["map-exec", "/work/copy"]).verdict == "err EPERM mmap-exec")
        // Allowed: the program itself runs, and can read (not execute) what it wrote.
        #expect(try Harness.probe(mode, ["exec", "/opt/probe/warden-probe", "echo", "hi"]).verdict == "ok hi")
        #expect(try Harness.probe(mode, flags: ["--rw", work + ":/work"], ["read", "/work/copy"]).verdict == "ok /work/copy")
    }

    @Test(arguments: Harness.Mode.allCases)
    func onlyAllowedFilesMapExecutable(mode: Harness.Mode) throws {
        // A readable system program that is not allowed: readable, not mappable as code.
        #expect(try Harness.probe(mode, ["read", "/usr/bin/id"]).verdict == "ok /usr/bin/id")
        #expect(try Harness.probe(mode, ["map-exec", "/usr/bin/id"]).verdict == "err EPERM mmap-exec")
        // The allowed program, and an --allow-exec entry, are.
        #expect(try Harness.probe(mode, ["map-exec", "/opt/probe/warden-probe"]).verdict == "ok mmap-exec")
        #expect(try Harness.probe(mode, flags: ["--allow-exec", "/usr/bin/id"], ["map-exec", "/usr/bin/id"]).verdict == "ok mmap-exec")
    }

    @Test(arguments: Harness.Mode.allCases)
    func writableMemoryNeverBecomesExecutable(mode: Harness.Mode) throws {
        #expect(try Harness.probe(mode, ["anon-exec"]).verdict == "err EPERM mmap-anon-exec")
        #expect(try Harness.probe(mode, ["anon-mprotect"]).verdict == "err EPERM mprotect-exec")
        #expect(try Harness.probe(mode, ["memfd-map"]).verdict == "err EPERM memfd_create")
        #expect(try Harness.probe(mode, ["memfd-exec"]).verdict == "err EPERM memfd_create")
        #expect(try Harness.probe(mode, ["shm-exec"]).verdict == "err EPERM shmat-exec")
        #expect(try Harness.probe(mode, ["proc-mem"]).verdict == "err EACCES open /proc/self/mem")
        // --allow-jit lifts the memory rules (a JIT's needs), and nothing else.
        let jit = ["--allow-jit"]
        #expect(try Harness.probe(mode, flags: jit, ["anon-exec"]).verdict == "ok mmap-anon-exec")
        #expect(try Harness.probe(mode, flags: jit, ["anon-mprotect"]).verdict == "ok mprotect-exec ran")
        #expect(try Harness.probe(mode, flags: jit, ["shm-exec"]).verdict == "err EPERM shmat-exec")
        #expect(try Harness.probe(mode, flags: jit, ["written-exec", "/tmp/copy", "path"]).verdict.hasPrefix("err EACCES"))
        #expect(try Harness.probe(mode, flags: jit, ["map-exec", "/usr/bin/id"]).verdict == "err EPERM mmap-exec")
    }

    @Test(arguments: Harness.Mode.allCases)
    func scriptsRunThroughAnAllowedInterpreterOnly(mode: Harness.Mode) throws {
        let dir = try Harness.tempDir("scripts")
        let good = dir + "/good.sh", bad = dir + "/bad.sh"
        try "#!/bin/sh\necho from-script\n".write(toFile: good, atomically: true, encoding: .utf8)
        // Its interpreter is a file the tool writes first.
        try "#!/tmp/copy\n".write(toFile: bad, atomically: true, encoding: .utf8)
        chmod(good, 0o755)
        chmod(bad, 0o755)
        let ok = try Harness.exec(mode, flags: ["--ro", dir + ":/s"], ["/s/good.sh"])
        #expect(ok.status == 0 && ok.stdout == "from-script\n", "\(ok.stderr)")
        let e = try Harness.environment()
        let attack = try Harness.exec(mode, flags: ["--ro", dir + ":/s", "--ro", e.probeDir + ":/opt/probe", "--allow-exec", "/s/bad.sh"],
                                      ["/opt/probe/warden-probe", "written-exec", "/tmp/copy", "/s/bad.sh"])
        #expect(attack.verdict.hasPrefix("err EACCES"), "\(attack.stdout)")
    }

    @Test(arguments: Harness.Mode.allCases)
    func pluginDirectoriesLoadOnlyWhenAllowed(mode: Harness.Mode) throws {
        let python = "/usr/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python) else { return }
        let dynload = try #require(Self.pythonDynload(), "python3 has no lib-dynload directory")
        let code = "import _ctypes, _json; print('plugins loaded')"
        let refused = try Harness.exec(mode, [python, "-c", code])
        #expect(refused.status != 0 && refused.stderr.contains("ImportError"), "\(refused.stdout) \(refused.stderr)")
        // Plain Python still works without any plugin directory.
        let plain = try Harness.exec(mode, [python, "-c", "print(6 * 7)"])
        #expect(plain.stdout == "42\n", "\(plain.stderr)")
        // The directory allowed for loading: its modules and the libraries they need (libffi)
        // load; nothing in it may be executed.
        let allowed = try Harness.exec(mode, flags: ["--allow-load", dynload], [python, "-c", code])
        #expect(allowed.status == 0 && allowed.stdout == "plugins loaded\n", "\(allowed.stderr)")
        let module = try #require(try FileManager.default.contentsOfDirectory(atPath: dynload).first { $0.hasPrefix("_json") })
        let e = try Harness.environment()
        let exec = try Harness.exec(mode, flags: ["--allow-load", dynload, "--ro", e.probeDir + ":/opt/probe"],
                                    ["/opt/probe/warden-probe", "exec", dynload + "/" + module])
        #expect(exec.verdict == "err EACCES \(dynload)/\(module)", "\(exec.stdout)")
        #expect(try Harness.probe(mode, flags: ["--allow-load", dynload], ["map-exec", dynload + "/" + module]).verdict == "ok mmap-exec")
    }

    static func pythonDynload() -> String? {
        let lib = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib"))?.filter { $0.hasPrefix("python3.") }.sorted().last
        guard let lib else { return nil }
        let dir = "/usr/lib/\(lib)/lib-dynload"
        return FileManager.default.fileExists(atPath: dir) ? dir : nil
    }
}
