@testable import WardenELF

/// A filesystem of parsed images for resolver tests: `files` by canonical path, `links` as
/// symlinks (absolute targets). `everywhere` makes every path a file holding that image, as
/// the fuzzer does.
final class FakeFilesystem {
    var files: [String: Result<ELFImage, ELFError>] = [:]
    var links: [String: String] = [:]
    var everywhere: ELFImage?
    private(set) var probes: [String] = []

    init() {}

    static func everywhere(_ image: ELFImage) -> FakeFilesystem {
        let fs = FakeFilesystem()
        fs.everywhere = image
        return fs
    }

    func add(_ path: String, _ builder: ELFBuilder) {
        files[path] = Result { () throws(ELFError) -> ELFImage in try ELFImage(bytes: builder.build()) }
    }

    func canonical(_ path: String) -> String? {
        probes.append(path)
        if everywhere != nil { return path }
        var current = Self.normalized(path)
        for _ in 0..<8 {
            guard let target = links[current] else { break }
            current = target
        }
        return files[current] != nil ? current : nil
    }

    /// "." and ".." resolved, repeated slashes dropped, as realpath would.
    static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    func load(_ path: String) -> Result<ELFImage, ELFError> {
        if let everywhere { return .success(everywhere) }
        return files[path] ?? .failure(ELFError(code: "elf.io", message: "no file \(path)"))
    }

    func resolver(cache: LDCache? = nil, defaultDirectories: [String] = ["/lib/x86_64-linux-gnu", "/usr/lib"]) -> LibraryResolver {
        LibraryResolver(cache: cache, defaultDirectories: defaultDirectories, lib: "lib/x86_64-linux-gnu", platform: "x86_64",
                        hwcapsSubdirectories: ["x86-64-v4", "x86-64-v3", "x86-64-v2"],
                        canonicalPath: { self.canonical($0) }, load: { self.load($0) })
    }

    /// A shared library for this host.
    static func library(soname: String? = nil, needed: [String] = [], runpath: String? = nil, rpath: String? = nil) -> ELFBuilder {
        var b = ELFBuilder()
        b.soname = soname
        b.needed = needed
        b.runpath = runpath
        b.rpath = rpath
        return b
    }

    static func program(needed: [String], runpath: String? = nil, rpath: String? = nil) throws -> ELFImage {
        var b = library(needed: needed, runpath: runpath, rpath: rpath)
        b.interpreter = "/lib64/ld-linux-x86-64.so.2"
        return try ELFImage(bytes: b.build())
    }

    /// The loader and libc every test program needs.
    func addSystem() {
        add("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", Self.library(soname: "ld-linux-x86-64.so.2"))
        links["/lib64/ld-linux-x86-64.so.2"] = "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
        add("/lib/x86_64-linux-gnu/libc.so.6", Self.library(soname: "libc.so.6", needed: ["ld-linux-x86-64.so.2"]))
    }
}
