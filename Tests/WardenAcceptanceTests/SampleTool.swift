import Foundation

/// The sample tool (samples/hello-tool/hello.c), compiled once per test process with
/// `cc -static -O2` into a temporary directory.
enum SampleTool {
    /// Path of the compiled binary; empty when compilation failed (setup then fails loudly).
    static let path: String = {
        let dir = NSTemporaryDirectory() + "warden-acc-tool-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let out = dir + "/hello"
        let src = WardenProcess.packageRoot.appendingPathComponent("samples/hello-tool/hello.c").path
        let r = try? WardenProcess.exec("/usr/bin/cc", ["-static", "-O2", "-o", out, src], cwd: dir,
                                        environment: ["PATH": "/usr/bin:/bin"])
        return r?.status == 0 ? out : ""
    }()
}
