import Foundation
import Testing
import WardenCore
import WardenTestSupport

/// ELF admission end to end: `tool sign`/`add`/`verify` and `warden run` read the artifact's
/// headers and refuse what is not for this host or needs what the manifest and the policy do
/// not allow, each refusal beside the allowed twin (docs/RUN.md "Native artifacts").
@Suite(.serialized) struct NativeAdmissionTests {
    /// The sample tool built several ways, once per test process.
    enum Build {
        static let dir: String = {
            let d = NSTemporaryDirectory() + "warden-native-\(getpid())"
            try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
            return d
        }()
        static let source = TestProcess.packageRoot.path + "/samples/hello-tool/hello.c"

        static func cc(_ name: String, _ flags: [String]) throws -> String {
            let out = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: out) { return out }
            let r = try WardenProcess.exec("/usr/bin/cc", flags + ["-O2", "-o", out, source], cwd: dir, environment: ["PATH": "/usr/bin:/bin"])
            guard r.status == 0 else { throw Failure(description: "cc \(flags) failed: \(r.transcript)") }
            return out
        }

        static func dynamic() throws -> String { try cc("hello-dynamic", []) }
        static func execStack() throws -> String { try cc("hello-execstack", ["-static", "-z", "execstack"]) }

        /// Linked against a library of its own, placed in `libdir` (RUNPATH there).
        static func withLibrary(libdir: String) throws -> String {
            let lib = dir + "/wfoo.c"
            try "int wfoo(void) { return 0; }\n".write(toFile: lib, atomically: true, encoding: .utf8)
            try FileManager.default.createDirectory(atPath: libdir, withIntermediateDirectories: true)
            let so = try WardenProcess.exec("/usr/bin/cc", ["-shared", "-fPIC", "-o", libdir + "/libwfoo.so", lib], cwd: dir,
                                            environment: ["PATH": "/usr/bin:/bin"])
            guard so.status == 0 else { throw Failure(description: so.transcript) }
            return try cc("hello-wfoo-\(UUID().uuidString.prefix(6))", ["-L", libdir, "-Wl,--no-as-needed", "-lwfoo", "-Wl,-rpath," + libdir])
        }

        /// The static tool with e_machine patched to AArch64 (183): valid ELF for another machine.
        static func foreign() throws -> String {
            let out = dir + "/hello-aarch64"
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: SampleTool.path)))
            bytes[18] = 183
            bytes[19] = 0
            try Data(bytes).write(to: URL(fileURLWithPath: out))
            chmod(out, 0o755)
            return out
        }
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// Signs `artifact` as `name@1.0.0` (with `--native` properties), adds and authorizes it.
    func add(_ home: AcceptanceHome, _ artifact: String, name: String, native: [String] = []) throws -> WardenProcess.Result {
        let jws = home.root + "/\(name).jws"
        var sign = ["tool", "sign", artifact, "--name", name, "--version", "1.0.0", "--key", "pub", "-o", jws]
        for n in native { sign += ["--native", n] }
        let s = try home.warden(sign)
        guard s.status == 0 else { return s }
        let a = try home.warden(["tool", "add", jws, artifact])
        guard a.status == 0 else { return a }
        try home.must(["tool", "authorize", "\(name)@1.0.0", "--tenant", "acme", "--key", "auth"])
        return a
    }

    @Test func aDynamicToolRunsWithItsLibrariesFoundAndRecorded() throws {
        let home = try AcceptanceHome()
        try #require(try add(home, try Build.dynamic(), name: "dyn").status == 0)
        let verify = try home.warden(["tool", "verify", home.root + "/dyn.jws", "--artifact", try Build.dynamic(), "--json"])
        #expect(verify.status == 0, "\(verify.transcript)")
        let native = AcceptanceHome.object(verify.stdout)?["native"] as? [String: Any]
        #expect(native?["linking"] as? String == "dynamic")
        #expect((native?["needed"] as? [String])?.contains("libc.so.6") == true, "\(verify.stdout)")
        let libs = native?["libraries"] as? [[String: Any]] ?? []
        #expect(libs.contains { $0["name"] as? String == "libc.so.6" && ($0["paths"] as? [String])?.first?.hasPrefix("/") == true }, "\(libs)")

        let run = try home.run(["greet", "native"], policy: try home.policy(Policies.yaml()), tool: "dyn")
        #expect(run.status == 0 && run.stdout.contains("hello, native"), "\(run.process.transcript)")
        let verified = try home.record("admission.tool_verified", of: run)
        let facts = (verified["details"] as? [String: Any])?["native"] as? [String: Any]
        #expect(facts?["interpreter"] as? String == "/lib64/ld-linux-x86-64.so.2", "\(verified)")
        let decision = try home.record("decision", of: run, decision: "allow")
        let resolved = (decision["details"] as? [String: Any])?["native_libraries"] as? [[String: Any]] ?? []
        #expect(resolved.contains { $0["name"] as? String == "libc.so.6" }, "\(decision)")
        #expect(((run.event?["data"] as? [String: Any])?["native"] as? [String: Any])?["linking"] as? String == "dynamic")

        // The same tool under a policy that admits static executables only.
        let staticOnly = try home.policy(Policies.yaml(extra: "admission: {elf: {static_only: true}}\n"))
        let refused = try home.run(["greet", "x"], policy: staticOnly, tool: "dyn")
        #expect(refused.status == 126 && refused.errorCode == "admission.elf.dynamic", "\(refused.process.transcript)")
        // ...which the static sample tool passes.
        #expect(try home.run(["greet", "x"], policy: staticOnly).status == 0)
        // An interpreter list that does not name this loader refuses it.
        let other = try home.policy(Policies.yaml(extra: "admission: {elf: {interpreters: [/opt/other/ld.so]}}\n"))
        #expect(try home.run(["greet", "x"], policy: other, tool: "dyn").errorCode == "admission.elf.interpreter")
        let listed = try home.policy(Policies.yaml(extra: "admission: {elf: {interpreters: [/lib64/ld-linux-x86-64.so.2]}}\n"))
        #expect(try home.run(["greet", "x"], policy: listed, tool: "dyn").status == 0)
        try home.expectLedgerVerifies()
    }

    @Test func aToolForAnotherMachineNeverEntersTheArmory() throws {
        let home = try AcceptanceHome()
        let r = try add(home, try Build.foreign(), name: "arm")
        #expect(r.status != 0 && r.stderr.contains("admission.elf.foreign") && r.stderr.contains("AArch64"), "\(r.transcript)")
        #expect(try home.warden(["tool", "list", "--json"]).stdout.contains("\"arm\"") == false)
    }

    @Test func anExecutableStackMustBeDeclaredAndAllowed() throws {
        let home = try AcceptanceHome()
        let artifact = try Build.execStack()
        // Undeclared: signing refuses (and an add of a manifest signed elsewhere would too).
        let undeclared = try add(home, artifact, name: "xs")
        #expect(undeclared.status != 0 && undeclared.stderr.contains("admission.elf.undeclared"), "\(undeclared.transcript)")
        // Declared: admitted to the armory, refused by a policy that does not allow it...
        try #require(try add(home, artifact, name: "xs2", native: ["exec_stack"]).status == 0)
        let plain = try home.run(["greet", "x"], policy: try home.policy(Policies.yaml()), tool: "xs2")
        #expect(plain.status == 126 && plain.errorCode == "admission.elf.exec_stack", "\(plain.process.transcript)")
        // ...and run by one that does.
        let allowing = try home.policy(Policies.yaml(extra: "admission: {elf: {allow_exec_stack: true}}\n"))
        let ok = try home.run(["greet", "x"], policy: allowing, tool: "xs2")
        #expect(ok.status == 0, "\(ok.process.transcript)")
    }

    @Test func aSetUserIDBitMustBeDeclared() throws {
        let home = try AcceptanceHome()
        let artifact = Build.dir + "/hello-setuid-\(UUID().uuidString.prefix(6))"
        try FileManager.default.copyItem(atPath: SampleTool.path, toPath: artifact)
        chmod(artifact, 0o4755)
        let undeclared = try add(home, artifact, name: "suid")
        #expect(undeclared.status != 0 && undeclared.stderr.contains("admission.elf.undeclared") && undeclared.stderr.contains("set-user-ID"),
                "\(undeclared.transcript)")
        // Declared, it is admitted; in the sandbox the bit never takes effect (nosuid).
        try #require(try add(home, artifact, name: "suid2", native: ["setuid"]).status == 0)
        let run = try home.run(["greet", "x"], policy: try home.policy(Policies.yaml()), tool: "suid2")
        #expect(run.status == 0 && run.stdout.contains("(uid 1000)"), "\(run.process.transcript)")
    }

    @Test func aMissingLibraryIsNamedBeforeTheRun() throws {
        let home = try AcceptanceHome()
        let libdir = home.root + "/vendor/lib"
        let artifact = try Build.withLibrary(libdir: libdir)
        try #require(try add(home, artifact, name: "wfoo").status == 0)
        // The library's directory is a read-only tree: it runs.
        let withTree = try home.policy(Policies.yaml(readonly: ["/usr", "/lib", "/lib64", home.root + "/vendor"]))
        let ok = try home.run(["greet", "x"], policy: withTree, tool: "wfoo")
        #expect(ok.status == 0, "\(ok.process.transcript)")
        // Without it, the RUNPATH lies outside the run's trees: refused by name, nothing runs.
        let without = try home.run(["greet", "x"], policy: try home.policy(Policies.yaml()), tool: "wfoo")
        #expect(without.status == 126 && without.errorCode == "admission.elf.rpath", "\(without.process.transcript)")
        #expect(without.errorMessage.contains(libdir), "\(without.process.transcript)")
        // The library removed: named as missing.
        try FileManager.default.removeItem(atPath: libdir + "/libwfoo.so")
        let missing = try home.run(["greet", "x"], policy: withTree, tool: "wfoo")
        #expect(missing.status == 126 && missing.errorCode == "admission.elf.library_missing" && missing.errorMessage.contains("libwfoo.so"),
                "\(missing.process.transcript)")
    }
}
