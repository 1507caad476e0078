import CWardenSys
import Foundation
import Testing
import WardenCore
import WardenSandbox

extension SandboxEndToEnd {
/// `SandboxSpec.Mount.sealedFile`: how `warden run` puts a verified artifact into the sandbox.
@Suite("sealed files")
struct SealedFileTests {
    typealias Collector = InProcessTests.Collector

    /// A memfd holding `bytes`, sealed against every change when `seal` is set.
    static func memfd(_ bytes: [UInt8], seal: Bool = true) throws -> Int32 {
        let fd = wsys_sealable_memfd("test-artifact")
        try #require(fd >= 0)
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, bytes.count) }
        try #require(n == bytes.count)
        if seal { try #require(wsys_seal_immutable(fd) == 0) }
        return fd
    }

    static func run(_ spec: SandboxSpec) throws -> (status: Int32, out: String, err: String) {
        let sink = Collector()
        let report = try Sandbox.run(spec, output: sink)
        return (report.status, String(decoding: sink.out, as: UTF8.self), String(decoding: sink.err, as: UTF8.self))
    }

    /// The error code `Sandbox.run` refuses `spec` with (nil when it ran).
    static func refusal(_ spec: SandboxSpec, _ sink: Collector) -> String? {
        do throws(WardenError) {
            _ = try Sandbox.run(spec, output: sink)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func theProgramRunsFromTheSealedBytesAndCannotChangeThem() throws {
        let script = "#!/bin/sh\necho sealed-ok \"$@\"\n"
        let fd = try Self.memfd(Array(script.utf8))
        defer { close(fd) }
        let ran = try Self.run(SandboxSpec(command: "/tool/t", arguments: ["a"], mounts: [.sealedFile(fd: fd, destination: "/tool/t")]))
        #expect(ran.status == 0 && ran.out == "sealed-ok a\n", "\(ran)")
        // One sealed descriptor may back two files.
        let twice = try Self.run(SandboxSpec(command: "/tool/u", mounts: [.sealedFile(fd: fd, destination: "/tool/t"),
                                                                          .sealedFile(fd: fd, destination: "/tool/u")]))
        #expect(twice.status == 0 && twice.out == "sealed-ok\n", "\(twice)")

        // The program (any program in the sandbox) tries to change the file: every way fails,
        // and reading it (the matching allowed action) works and shows the sealed bytes.
        let attack = """
            printf x 2>/dev/null >> /tool/t && echo appended
            printf x 2>/dev/null 1<> /tool/t && echo overwrote
            rm -f /tool/t 2>/dev/null && echo removed
            chmod 777 /tool/t 2>/dev/null && echo chmodded
            mv /tool/t /tool/u 2>/dev/null && echo moved
            touch /tool/new 2>/dev/null && echo created
            ls -l /proc/1/fd 2>/dev/null | grep -q memfd && echo fd-visible
            cat /tool/t
            """
        let tried = try Self.run(SandboxSpec(command: "/bin/sh", arguments: ["-c", attack],
                                             mounts: [.sealedFile(fd: fd, destination: "/tool/t")], allowExec: ["/usr/bin"]))
        #expect(tried.status == 0, "\(tried)")
        #expect(tried.out == script, "an attack succeeded or the read failed: \(tried.out)")
    }

    /// A real ELF program, larger than the root's usual 4 MiB: the root is sized to hold it,
    /// and its ELF interpreter is found from the sealed bytes (and may be executed).
    @Test func aLargeBinaryRunsWithItsInterpreter() throws {
        var bytes = try #require(FileManager.default.contents(atPath: "/usr/bin/env")).map { $0 }
        bytes += [UInt8](repeating: 0, count: 6 << 20)   // trailing bytes do not change an ELF file
        let fd = try Self.memfd(bytes)
        defer { close(fd) }
        let ran = try Self.run(SandboxSpec(command: "/tool/env", arguments: ["-i", "X=sealed"],
                                           mounts: [.sealedFile(fd: fd, destination: "/tool/env")]))
        #expect(ran.status == 0 && ran.out == "X=sealed\n", "\(ran)")
    }

    /// Without seals the bytes could change between verification and the copy: refused, and
    /// so is a descriptor that is not a regular file, before anything runs.
    @Test func unsealedOrInvalidDescriptorsAreRefused() throws {
        let unsealed = try Self.memfd(Array("#!/bin/sh\necho no\n".utf8), seal: false)
        defer { close(unsealed) }
        var pipeFDs: [Int32] = [0, 0]
        try #require(pipe(&pipeFDs) == 0)
        defer { close(pipeFDs[0]); close(pipeFDs[1]) }
        for fd in [unsealed, pipeFDs[0], 9999] {
            let sink = Collector()
            #expect(Self.refusal(SandboxSpec(command: "/tool/t", mounts: [.sealedFile(fd: fd, destination: "/tool/t")]), sink) == "sandbox.sealed_file", "fd \(fd)")
            #expect(sink.out.isEmpty)
        }
        // Inside another mount (here the read-only /usr): refused, not written into the host tree.
        let sealed = try Self.memfd(Array("x".utf8))
        defer { close(sealed) }
        let inside = SandboxSpec(command: "/bin/true", mounts: [.sealedFile(fd: sealed, destination: "/usr/bin/planted")])
        #expect(Self.refusal(inside, Collector()) == "sandbox.sealed_file")
        #expect(!FileManager.default.fileExists(atPath: "/usr/bin/planted"))
        // A masked path that names the sealed file cannot be honoured by hiding a host path:
        // refused rather than run unmasked.
        var masking = SandboxSpec(command: "/bin/true", mounts: [.sealedFile(fd: sealed, destination: "/tool/x")])
        masking.maskedPaths = ["/tool/x"]
        #expect(Self.refusal(masking, Collector()) == "sandbox.sealed_file")
    }
}
}
