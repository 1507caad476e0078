import Foundation
import Testing
import WardenTestSupport
@testable import WardenELF

/// Programs compiled here with the system's cc, and the host's own binaries, through the real
/// filesystem, ld.so.cache and realpath.
@Suite(.serialized) struct RealProgramTests {
    static let cc = "/usr/bin/cc"

    /// A fresh directory holding `sources` (name → text).
    func workspace(_ sources: [String: String]) throws -> String {
        let dir = NSTemporaryDirectory() + "warden-elf-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in sources { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return dir
    }

    func compile(_ args: [String], in dir: String) throws {
        let result = try TestProcess.run(Self.cc, args, cwd: dir)
        try #require(result.status == 0, "cc \(args.joined(separator: " ")): \(result.transcript)")
    }

    static let hello = "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n"

    @Test func dynamicProgram() throws {
        let dir = try workspace(["hello.c": Self.hello])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try compile(["-o", "dyn", "hello.c"], in: dir)
        let image = try ELFImage(source: ELFFileSource(path: dir + "/dyn"))
        #expect(image.hostMismatch() == nil)
        #expect(image.needed.contains("libc.so.6"))
        #expect(!image.executableStack && image.hasGNUStack && !image.textRelocations)
        let interpreter = try #require(image.interpreter)
        let closure = LibraryResolver.host().closure(of: image, at: dir + "/dyn")
        #expect(closure.isComplete, "\(closure)")
        let interp = try #require(closure.libraries.first)
        #expect(interp.via == "interp" && interp.name == interpreter)
        #expect(interp.paths.count == 1 && HostFilesystem.canonicalRegularFile(interp.paths[0]) == interp.paths[0])
        let libc = try #require(closure.libraries.first { $0.name == "libc.so.6" })
        #expect(libc.paths.allSatisfy { HostFilesystem.canonicalRegularFile($0) == $0 })
    }

    @Test func staticProgram() throws {
        let dir = try workspace(["hello.c": Self.hello])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try compile(["-static", "-o", "static", "hello.c"], in: dir)
        let image = try ELFImage(source: ELFFileSource(path: dir + "/static"))
        #expect(image.isStatic && image.interpreter == nil && image.needed.isEmpty)
        #expect(LibraryResolver.host().closure(of: image, at: dir + "/static") == LibraryClosure())
    }

    @Test func sharedLibraryWithRpathThenDeleted() throws {
        let dir = try workspace([
            "foo.c": "int wfoo(void) { return 42; }\n",
            "main.c": "int wfoo(void);\nint main(void) { return wfoo() == 42 ? 0 : 1; }\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try compile(["-shared", "-fPIC", "-o", "libwfoo.so", "foo.c"], in: dir)
        try compile(["-o", "usesfoo", "main.c", "-L.", "-lwfoo", "-Wl,-rpath,\(dir)"], in: dir)
        let image = try ELFImage(source: ELFFileSource(path: dir + "/usesfoo"))
        #expect(image.needed.first == "libwfoo.so")
        #expect((image.runpath + image.rpath).contains(dir))

        var closure = LibraryResolver.host().closure(of: image, at: dir + "/usesfoo")
        let foo = try #require(closure.libraries.first { $0.name == "libwfoo.so" })
        #expect(foo.paths == [try #require(HostFilesystem.canonicalRegularFile(dir + "/libwfoo.so"))])
        #expect(foo.via == (image.runpath.isEmpty ? "rpath" : "runpath"))
        #expect(closure.searchPaths == [dir])
        #expect(closure.origins.isEmpty)

        try FileManager.default.removeItem(atPath: dir + "/libwfoo.so")
        closure = LibraryResolver.host().closure(of: image, at: dir + "/usesfoo")
        #expect(closure.missing.map(\.name) == ["libwfoo.so"])
        #expect(closure.libraries.contains { $0.name == "libc.so.6" })
    }

    @Test func originRpath() throws {
        let dir = try workspace([
            "foo.c": "int wfoo(void) { return 42; }\n",
            "main.c": "int wfoo(void);\nint main(void) { return wfoo() == 42 ? 0 : 1; }\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try compile(["-shared", "-fPIC", "-o", "libwfoo.so", "foo.c"], in: dir)
        try compile(["-o", "usesfoo", "main.c", "-L.", "-lwfoo", "-Wl,-rpath,$ORIGIN"], in: dir)
        let image = try ELFImage(source: ELFFileSource(path: dir + "/usesfoo"))
        let closure = LibraryResolver.host().closure(of: image, at: dir + "/usesfoo")
        let program = try #require(HostFilesystem.canonicalRegularFile(dir + "/usesfoo"))
        #expect(closure.origins == [program])
        #expect(closure.isComplete, "\(closure)")
        let foo = try #require(HostFilesystem.canonicalRegularFile(dir + "/libwfoo.so"))
        #expect(closure.libraries.first { $0.name == "libwfoo.so" }?.paths == [foo])
    }

    @Test func executableStackFlag() throws {
        let dir = try workspace(["hello.c": Self.hello])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try compile(["-z", "execstack", "-o", "exec", "hello.c"], in: dir)
        let image = try ELFImage(source: ELFFileSource(path: dir + "/exec"))
        #expect(image.hasGNUStack && image.executableStack)
    }

    @Test func envThroughTheHostCache() throws {
        let image = try ELFImage(source: ELFFileSource(path: "/usr/bin/env"))
        let closure = LibraryResolver.host().closure(of: image, at: "/usr/bin/env")
        #expect(closure.isComplete, "\(closure)")
        #expect(closure.libraries.contains { $0.name == "libc.so.6" && $0.via == "ld.so.cache" })
        #expect(closure.allPaths.allSatisfy { HostFilesystem.canonicalRegularFile($0) == $0 })
    }

    @Test func hostBinariesAndLibrariesParse() throws {
        var checked = 0
        for dir in ["/usr/bin", "/usr/lib/\(ELFHost.multiarchTriplet)"] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            for name in names.sorted().prefix(400) {
                let path = dir + "/" + name
                guard let source = try? ELFFileSource(path: path), source.size >= 4,
                      let head = try? source.read(at: 0, count: 4), ELFImage.looksLikeELF(head) else { continue }
                do {
                    let image = try ELFImage(source: source)
                    #expect(image.hostMismatch() == nil, "\(path)")
                    checked += 1
                } catch {
                    Issue.record("\(path): \(error)")
                }
            }
        }
        #expect(checked > 50)
    }

    @Test func prefixesOfARealProgramThrowOrParse() throws {
        let source = try ELFFileSource(path: "/usr/bin/env")
        let bytes = try source.read(at: 0, count: source.size)
        let full = try ELFImage(bytes: bytes)
        var length = 0
        while length < bytes.count {
            // Sections after the last PT_LOAD may be cut without changing what the loader sees.
            if let image = try? ELFImage(bytes: Array(bytes.prefix(length))) { #expect(image == full) }
            length += length < 4096 ? 1 : 509
        }
    }

    @Test func descriptorSourceLeavesTheDescriptorOpen() throws {
        let fd = open("/usr/bin/env", O_RDONLY | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        do {
            let image = try ELFImage(source: ELFFileSource(fd: fd))
            #expect(image.needed.contains("libc.so.6"))
        }
        var st = stat()
        #expect(fstat(fd, &st) == 0, "the source closed a descriptor it does not own")
        #expect(lseek(fd, 0, SEEK_CUR) == 0, "pread must not move the file offset")
    }

    @Test func pathSourceRefusesNonRegularFiles() throws {
        let dir = try workspace([:])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: ELFError.self) { try ELFFileSource(path: dir) }
        #expect(throws: ELFError.self) { try ELFFileSource(path: dir + "/absent") }
        try #require(mkfifo(dir + "/fifo", 0o600) == 0)
        #expect(throws: ELFError.self, "a FIFO must neither block the open nor be read") { try ELFFileSource(path: dir + "/fifo") }
    }
}
