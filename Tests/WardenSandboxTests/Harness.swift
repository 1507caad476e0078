import Foundation
import Synchronization
import Testing
import WardenCore

/// Runs the built `warden` binary (and the C escape probe, compiled here with `cc -static`)
/// from a world-traversable temp directory, as root or as uid 65534 via setpriv.
enum Harness {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    struct Env {
        let dir: String
        let warden: String
        let probeDir: String
        var probe: String { probeDir + "/warden-probe" }
    }

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        /// First line of stdout (probes print one verdict line).
        var verdict: String { stdout.split(separator: "\n").first.map(String.init) ?? "" }
        /// The `--json` exit report (last stdout line).
        var report: JSONValue? {
            guard let last = stdout.split(separator: "\n").last else { return nil }
            return try? StrictJSONParser.parse(String(last))
        }
    }

    enum Mode: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case root, rootless
        var testDescription: String { rawValue }
    }

    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let env: Swift.Result<Env, Failure> = setUp()

    /// Pids of every process `raw` started (setpriv execs warden, so these are Warden's pids,
    /// which per-run cgroups and staging dirs carry in their names).
    static let spawned = Mutex<[Int32]>([])

    static func environment() throws -> Env { try env.get() }

    private static func setUp() -> Swift.Result<Env, Failure> {
        let built = repoRoot + "/.build/debug/warden"
        guard FileManager.default.isExecutableFile(atPath: built) else {
            return .failure(Failure(description: "warden binary missing at \(built); run `swift build` first"))
        }
        // Directories of earlier test processes that are gone.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? [] where name.hasPrefix("warden-escape-") {
            if let pid = Int32(name.dropFirst("warden-escape-".count)), kill(pid, 0) != 0, errno == ESRCH {
                try? FileManager.default.removeItem(atPath: "/tmp/" + name)
            }
        }
        let dir = "/tmp/warden-escape-\(getpid())"
        let probeDir = dir + "/probe"
        do {
            try? FileManager.default.removeItem(atPath: dir)
            try FileManager.default.createDirectory(atPath: probeDir, withIntermediateDirectories: true)
            chmod(dir, 0o755)
            chmod(probeDir, 0o755)
            try FileManager.default.copyItem(atPath: built, toPath: dir + "/warden")
            chmod(dir + "/warden", 0o755)
        } catch {
            return .failure(Failure(description: "cannot prepare \(dir): \(error)"))
        }
        let source = repoRoot + "/Tests/WardenSandboxTests/Probe/warden-probe.c"
        let compiler = ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang"].first { FileManager.default.isExecutableFile(atPath: $0) }
            ?? "/usr/bin/cc"
        let cc = raw(compiler, ["-O2", "-static", "-o", probeDir + "/warden-probe", source])
        guard cc.status == 0 else { return .failure(Failure(description: "cc failed: \(cc.stderr)")) }
        chmod(probeDir + "/warden-probe", 0o755)
        return .success(Env(dir: dir, warden: dir + "/warden", probeDir: probeDir))
    }

    /// Runs an executable with a fixed environment (plus a host secret the sandbox must not see).
    static func raw(_ path: String, _ args: [String], extraEnv: [String: String] = [:], timeout: Double = 120) -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.environment = ["PATH": "/usr/bin:/bin", "WARDEN_TEST_SECRET": "host-secret-value"].merging(extraEnv) { $1 }
        p.currentDirectoryURL = URL(fileURLWithPath: "/tmp")
        let outPath = NSTemporaryDirectory() + "warden-out-\(UUID().uuidString)"
        let errPath = outPath + ".err"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outPath); try? FileManager.default.removeItem(atPath: errPath) }
        guard let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath) else {
            return Result(status: -1, stdout: "", stderr: "cannot open capture files")
        }
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { return Result(status: -1, stdout: "", stderr: "\(error)") }
        spawned.withLock { $0.append(p.processIdentifier) }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(5000) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        try? out.close()
        try? err.close()
        let o = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let e = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return Result(status: p.terminationStatus, stdout: o, stderr: e)
    }

    /// `warden exec [flags] -- CMD...` in the given mode.
    static func exec(_ mode: Mode, flags: [String] = [], _ command: [String], timeout: Double = 120) throws -> Result {
        let e = try environment()
        var args = ["exec", "--no-stdin"] + flags
        if mode == .rootless { args.append("--rlimit-fallback") }
        args += ["--"] + command
        if mode == .rootless {
            return raw("/usr/bin/setpriv", ["--reuid", "65534", "--regid", "65534", "--clear-groups", e.warden] + args,
                       timeout: timeout)
        }
        return raw(e.warden, args, timeout: timeout)
    }

    /// Runs the probe with `/opt/probe` mounted read-only.
    static func probe(_ mode: Mode, flags: [String] = [], _ args: [String], timeout: Double = 120) throws -> Result {
        let e = try environment()
        return try exec(mode, flags: ["--ro", e.probeDir + ":/opt/probe"] + flags, ["/opt/probe/warden-probe"] + args,
                        timeout: timeout)
    }

    /// Starts `warden exec … probe ARGS` in the background (setpriv execs warden, so the
    /// returned process id is Warden's in both modes).
    static func startProbe(_ mode: Mode, flags: [String] = [], _ args: [String], stdout: Any) throws -> Process {
        let e = try environment()
        var argv = [e.warden, "exec", "--no-stdin", "--ro", e.probeDir + ":/opt/probe"] + flags
        if mode == .rootless {
            argv = ["/usr/bin/setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"] + argv + ["--rlimit-fallback"]
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst()) + ["--", "/opt/probe/warden-probe"] + args
        p.standardOutput = stdout
        try p.run()
        return p
    }

    /// A fresh temp directory with the given owner, world-traversable.
    static func tempDir(_ name: String, owner: uid_t = 0) throws -> String {
        let e = try environment()
        let path = e.dir + "/" + name + "-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, 0o755)
        chown(path, owner, owner)
        return path
    }

    /// Starts `probe hold 30 TOKEN` in the background and waits until the program runs;
    /// returns Warden's process and the program's host pid.
    static func holdingProbe(_ mode: Mode, flags: [String] = [], token: String) throws -> (warden: Process, program: Int32) {
        let p = try startProbe(mode, flags: flags, ["hold", "30", token], stdout: FileHandle.nullDevice)
        var pids: [Int32] = []
        for _ in 0..<400 where pids.isEmpty {
            usleep(10000)
            pids = processes(containing: token)
        }
        guard let pid = pids.first else {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            throw Failure(description: "probe holding \(token) never appeared")
        }
        return (p, pid)
    }

    /// Host processes whose command line contains `token`.
    static func processes(containing token: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { name -> Int32? in
            guard let pid = Int32(name), pid != getpid(),
                  let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { return nil }
            let text = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return text.contains(token) && !text.contains("setpriv") && !text.contains("/warden exec") ? pid : nil
        }
    }
}
