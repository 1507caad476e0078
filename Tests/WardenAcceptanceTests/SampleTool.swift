import Foundation
import WardenTestSupport

/// The sample tool (samples/hello-tool/hello.c), compiled with `cc -static -O2` once per source
/// version into `$TMPDIR/warden-acc-tool/hello-<sha256 prefix of the source>` and reused, so test
/// processes leave one binary behind rather than one per run.
enum SampleTool {
    /// Path of the compiled binary; empty when compilation failed (setup then fails loudly).
    static let path: String = {
        let src = TestProcess.packageRoot.appendingPathComponent("samples/hello-tool/hello.c").path
        guard let hash = try? AcceptanceHome.sha256(src), hash.count == 64 else { return "" }
        let dir = NSTemporaryDirectory() + "warden-acc-tool"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let out = "\(dir)/hello-\(hash.prefix(16))"
        if FileManager.default.isExecutableFile(atPath: out) { return out }
        // Compile to a private name, then rename: concurrent test processes never see a partial file.
        let tmp = "\(out).\(getpid()).tmp"
        let r = try? WardenProcess.exec("/usr/bin/cc", ["-static", "-O2", "-o", tmp, src], cwd: dir,
                                        environment: ["PATH": "/usr/bin:/bin"])
        guard r?.status == 0, rename(tmp, out) == 0 else { return "" }
        return out
    }()
}
