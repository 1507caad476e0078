import Testing
@testable import WardenELF

/// The search order and bookkeeping of `LibraryResolver`, over a fake filesystem.
@Suite struct LibraryResolverTests {
    typealias Library = LibraryClosure.Library

    func find(_ closure: LibraryClosure, _ name: String) -> Library? { closure.libraries.first { $0.name == name } }

    @Test func interpreterRunpathAndDefaults() throws {
        let fs = FakeFilesystem()
        fs.addSystem()
        fs.add("/opt/app/lib/libfoo.so.1", FakeFilesystem.library(soname: "libfoo.so.1", needed: ["libc.so.6"]))
        let program = try FakeFilesystem.program(needed: ["libfoo.so.1", "libc.so.6"], runpath: "/opt/app/lib")
        let closure = fs.resolver().closure(of: program, at: "/opt/app/bin/prog")
        #expect(closure.libraries == [
            Library(name: "/lib64/ld-linux-x86-64.so.2", neededBy: "/opt/app/bin/prog",
                    paths: ["/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"], via: "interp"),
            Library(name: "libfoo.so.1", neededBy: "/opt/app/bin/prog", paths: ["/opt/app/lib/libfoo.so.1"], via: "runpath"),
            Library(name: "libc.so.6", neededBy: "/opt/app/bin/prog", paths: ["/lib/x86_64-linux-gnu/libc.so.6"], via: "default"),
        ], "libc's DT_NEEDED on ld-linux-x86-64.so.2 is the interpreter, by soname")
        #expect(closure.isComplete)
        #expect(closure.searchPaths == ["/opt/app/lib"])
        #expect(closure.origins.isEmpty)
        #expect(closure.allPaths.count == 3)
    }

    @Test func cacheBeforeDefaultsAndRpathBeforeCache() throws {
        let fs = FakeFilesystem()
        fs.addSystem()
        fs.add("/usr/lib/libbar.so", FakeFilesystem.library())
        fs.add("/cached/libbar.so", FakeFilesystem.library())
        fs.add("/rp/libbar.so", FakeFilesystem.library())
        let cache = try LDCache(bytes: LDCacheBuilder(entries: [.init(name: "libbar.so", path: "/cached/libbar.so")]).build())
        var closure = fs.resolver(cache: cache).closure(of: try FakeFilesystem.program(needed: ["libbar.so"]), at: "/p")
        #expect(find(closure, "libbar.so")?.via == "ld.so.cache")
        #expect(find(closure, "libbar.so")?.paths == ["/cached/libbar.so"])
        closure = fs.resolver(cache: cache).closure(of: try FakeFilesystem.program(needed: ["libbar.so"], rpath: "/rp"), at: "/p")
        #expect(find(closure, "libbar.so")?.via == "rpath")
        // With DT_RUNPATH present DT_RPATH is ignored; DT_RUNPATH still precedes the cache.
        closure = fs.resolver(cache: cache).closure(of: try FakeFilesystem.program(needed: ["libbar.so"], runpath: "/rp", rpath: "/rp"), at: "/p")
        #expect(find(closure, "libbar.so")?.via == "runpath")
        fs.files["/cached/libbar.so"] = nil
        closure = fs.resolver(cache: cache).closure(of: try FakeFilesystem.program(needed: ["libbar.so"]), at: "/p")
        #expect(find(closure, "libbar.so")?.via == "default", "a stale cache entry falls through to the directories")
    }

    @Test func rpathIsInheritedOnlyWithoutRunpath() throws {
        let fs = FakeFilesystem()
        fs.addSystem()
        fs.add("/rp/liba.so", FakeFilesystem.library(needed: ["libb.so"]))
        fs.add("/rp/libb.so", FakeFilesystem.library())
        var closure = fs.resolver().closure(of: try FakeFilesystem.program(needed: ["liba.so"], rpath: "/rp"), at: "/p")
        #expect(find(closure, "libb.so")?.via == "rpath")
        #expect(find(closure, "libb.so")?.neededBy == "/rp/liba.so")

        fs.add("/rp/liba.so", FakeFilesystem.library(needed: ["libb.so"], runpath: "/elsewhere"))
        closure = fs.resolver().closure(of: try FakeFilesystem.program(needed: ["liba.so"], rpath: "/rp"), at: "/p")
        #expect(closure.missing == [.init(name: "libb.so", neededBy: "/rp/liba.so")])
        #expect(closure.searchPaths == ["/rp", "/elsewhere"])
    }

    @Test func originLibAndPlatformAreExpanded() throws {
        let fs = FakeFilesystem()
        fs.addSystem()
        fs.add("/opt/app/lib/libo.so", FakeFilesystem.library())
        fs.add("/opt/app/lib/x86_64-linux-gnu/libl.so", FakeFilesystem.library())
        fs.add("/opt/app/x86_64/libp.so", FakeFilesystem.library())
        let program = try FakeFilesystem.program(needed: ["libo.so", "libl.so", "libp.so"],
                                                 runpath: "$ORIGIN/../lib:/opt/app/$LIB:${ORIGIN}/../${PLATFORM}")
        fs.add("/opt/app/bin/prog", ELFBuilder.program)
        fs.links["/usr/bin/prog"] = "/opt/app/bin/prog"
        let closure = fs.resolver().closure(of: program, at: "/usr/bin/prog")
        #expect(closure.isComplete, "\(closure)")
        #expect(closure.origins == ["/opt/app/bin/prog"], "$ORIGIN is the program's real directory")
        #expect(closure.searchPaths == ["/opt/app/bin/../lib", "/opt/app/lib/x86_64-linux-gnu", "/opt/app/bin/../x86_64"])
    }

    @Test func tokenExpansion() {
        let t = DynamicStringTokens(origin: "/o", lib: "lib64", platform: "x86_64")
        #expect(t.expand("$ORIGIN/a")! == ("/o/a", true))
        #expect(t.expand("${ORIGIN}$LIB${PLATFORM}")! == ("/olib64x86_64", true))
        #expect(t.expand("$ORIGINX/$LIBS/${LIB")! == ("$ORIGINX/$LIBS/${LIB", false), "not tokens: kept as written")
        #expect(t.expand("$")! == ("$", false))
        #expect(t.expand("a$")! == ("a$", false))
        #expect(t.expand(String(repeating: "$ORIGIN", count: 3000)) == nil)
        #expect(DynamicStringTokens.directory(of: "/prog") == "/")
        #expect(DynamicStringTokens.directory(of: "prog") == ".")
        #expect(DynamicStringTokens.directory(of: "/a/b/c") == "/a/b")
    }

    @Test func hwcapsVariantsAreFurtherPaths() throws {
        let fs = FakeFilesystem()
        fs.addSystem()
        fs.add("/usr/lib/libz.so.1", FakeFilesystem.library())
        fs.add("/usr/lib/glibc-hwcaps/x86-64-v3/libz.so.1", FakeFilesystem.library(needed: ["libextra.so"]))
        fs.add("/usr/lib/libextra.so", FakeFilesystem.library())
        let closure = fs.resolver().closure(of: try FakeFilesystem.program(needed: ["libz.so.1"]), at: "/p")
        #expect(find(closure, "libz.so.1")?.paths == ["/usr/lib/libz.so.1", "/usr/lib/glibc-hwcaps/x86-64-v3/libz.so.1"])
        #expect(find(closure, "libextra.so")?.neededBy == "/usr/lib/glibc-hwcaps/x86-64-v3/libz.so.1",
                "a variant's own needs are walked too")
    }

    @Test func symlinksAreCanonicalized() throws {
        let fs = FakeFilesystem()
        fs.addSystem()
        fs.add("/usr/lib/libq.so.1.2.3", FakeFilesystem.library())
        fs.links["/usr/lib/libq.so.1"] = "/usr/lib/libq.so.1.2.3"
        let closure = fs.resolver().closure(of: try FakeFilesystem.program(needed: ["libq.so.1"]), at: "/p")
        #expect(find(closure, "libq.so.1")?.paths == ["/usr/lib/libq.so.1.2.3"])
    }

    @Test func foreignCandidatesAreSkippedThenReported() throws {
        let fs = FakeFilesystem()
        fs.addSystem()
        var arm = FakeFilesystem.library()
        arm.machine = 183
        fs.add("/rp/libm.so", arm)
        fs.add("/usr/lib/libm.so", FakeFilesystem.library())
        var closure = fs.resolver().closure(of: try FakeFilesystem.program(needed: ["libm.so"], rpath: "/rp"), at: "/p")
        #expect(find(closure, "libm.so")?.paths == ["/usr/lib/libm.so"], "ld.so passes over a file for another machine")
        #expect(closure.isComplete)
        fs.files["/usr/lib/libm.so"] = nil
        closure = fs.resolver().closure(of: try FakeFilesystem.program(needed: ["libm.so"], rpath: "/rp"), at: "/p")
        #expect(closure.unusable.count == 1)
        #expect(closure.unusable.first?.path == "/rp/libm.so")
        #expect(closure.unusable.first?.reason.contains("183 (AArch64)") == true)
        #expect(closure.missing.isEmpty)
    }

    @Test func malformedAndNonSharedCandidatesAreUnusable() throws {
        let fs = FakeFilesystem()
        fs.addSystem()
        fs.files["/usr/lib/libbad.so"] = .failure(ELFError(code: "elf.bad_dynamic", message: "broken"))
        var executable = FakeFilesystem.library()
        executable.type = 2
        fs.add("/usr/lib/libexe.so", executable)
        let closure = fs.resolver().closure(of: try FakeFilesystem.program(needed: ["libbad.so", "libexe.so"]), at: "/p")
        #expect(closure.unusable.map(\.name) == ["libbad.so", "libexe.so"])
        #expect(closure.unusable.map(\.path) == ["/usr/lib/libbad.so", "/usr/lib/libexe.so"])
    }

    @Test func pathNames() throws {
        let fs = FakeFilesystem()
        fs.addSystem()
        fs.add("/opt/x/libabs.so", FakeFilesystem.library())
        fs.add("/opt/bin/libo.so", FakeFilesystem.library())
        let program = try FakeFilesystem.program(needed: ["/opt/x/libabs.so", "sub/librel.so", "$ORIGIN/libo.so"])
        let closure = fs.resolver().closure(of: program, at: "/opt/bin/prog")
        #expect(find(closure, "/opt/x/libabs.so")?.via == "path")
        #expect(find(closure, "$ORIGIN/libo.so")?.paths == ["/opt/bin/libo.so"])
        #expect(closure.missing == [.init(name: "sub/librel.so", neededBy: "/opt/bin/prog")])
        #expect(closure.origins == ["/opt/bin/prog"])
    }

    @Test func relativeAndEmptySearchEntriesAreReportedNotSearched() throws {
        let fs = FakeFilesystem()
        fs.addSystem()
        let closure = fs.resolver().closure(of: try FakeFilesystem.program(needed: ["libc.so.6"], runpath: "lib::"), at: "/p")
        #expect(closure.origins == ["/p"])
        #expect(closure.searchPaths == ["lib", "."])
        #expect(!fs.probes.contains { !$0.hasPrefix("/") })
    }

    @Test func missingInterpreter() throws {
        let fs = FakeFilesystem()
        let closure = fs.resolver().closure(of: try FakeFilesystem.program(needed: []), at: "/p")
        #expect(closure.missing == [.init(name: "/lib64/ld-linux-x86-64.so.2", neededBy: "/p")])
    }

    @Test func foreignInterpreterIsUnusable() throws {
        let fs = FakeFilesystem()
        var arm = FakeFilesystem.library(soname: "ld-linux-aarch64.so.1")
        arm.machine = 183
        fs.add("/lib/ld-linux-aarch64.so.1", arm)
        var b = FakeFilesystem.library()
        b.interpreter = "/lib/ld-linux-aarch64.so.1"
        let closure = fs.resolver().closure(of: try ELFImage(bytes: b.build()), at: "/p")
        #expect(closure.libraries.isEmpty)
        #expect(closure.unusable.map(\.path) == ["/lib/ld-linux-aarch64.so.1"])
    }

    @Test func eachNameOnceAndCyclesEnd() throws {
        let fs = FakeFilesystem()
        fs.addSystem()
        fs.add("/usr/lib/liba.so", FakeFilesystem.library(soname: "liba.so", needed: ["libb.so", "libc.so.6"]))
        fs.add("/usr/lib/libb.so", FakeFilesystem.library(soname: "libb.so", needed: ["liba.so", "libc.so.6"]))
        let closure = fs.resolver().closure(of: try FakeFilesystem.program(needed: ["liba.so", "libb.so"]), at: "/p")
        #expect(closure.libraries.map(\.name) == ["/lib64/ld-linux-x86-64.so.2", "liba.so", "libb.so", "libc.so.6"])
        #expect(closure.isComplete)
    }

    @Test func noDefaultLibraries() throws {
        let fs = FakeFilesystem()
        fs.addSystem()
        fs.add("/usr/lib/libd.so", FakeFilesystem.library())
        let cache = try LDCache(bytes: LDCacheBuilder(entries: [.init(name: "libd.so", path: "/usr/lib/libd.so")]).build())
        var b = FakeFilesystem.library(needed: ["libd.so"])
        b.interpreter = "/lib64/ld-linux-x86-64.so.2"
        b.dtFlags1 = 0x800
        let closure = fs.resolver(cache: cache).closure(of: try ELFImage(bytes: b.build()), at: "/p")
        #expect(closure.missing == [.init(name: "libd.so", neededBy: "/p")])
    }

    @Test func libraryCountIsBounded() throws {
        let fs = FakeFilesystem()
        fs.addSystem()
        for i in 0..<600 { fs.add("/usr/lib/lib\(i).so", FakeFilesystem.library()) }
        let closure = fs.resolver().closure(of: try FakeFilesystem.program(needed: (0..<600).map { "lib\($0).so" }), at: "/p")
        #expect(closure.libraries.count == ELFLimits.maxLibraries + 1)
        #expect(closure.unusable.count == 1)
        #expect(closure.unusable.first?.reason.contains("exceeds") == true)
    }

    @Test func depthIsBounded() throws {
        let fs = FakeFilesystem()
        fs.addSystem()
        for i in 0..<80 { fs.add("/usr/lib/lib\(i).so", FakeFilesystem.library(needed: ["lib\(i + 1).so"])) }
        let closure = fs.resolver().closure(of: try FakeFilesystem.program(needed: ["lib0.so"]), at: "/p")
        #expect(closure.libraries.count == ELFLimits.maxDepth + 1)
        #expect(closure.unusable.map(\.reason) == ["loader chain deeper than \(ELFLimits.maxDepth)"])
    }

    @Test func everyPathExistsIsBounded() throws {
        // The fuzzer's filesystem: every path is this image, which needs many names and has
        // a self-referencing RUNPATH.
        var b = FakeFilesystem.library(needed: (0..<1024).map { "lib\($0).so" }, runpath: "$ORIGIN/x:$ORIGIN/y")
        b.interpreter = "/lib64/ld-linux-x86-64.so.2"
        let image = try ELFImage(bytes: b.build())
        let closure = FakeFilesystem.everywhere(image).resolver().closure(of: image, at: "/p")
        #expect(closure.libraries.count <= ELFLimits.maxLibraries + 1)
        #expect(!closure.unusable.isEmpty)
    }

    @Test func lookupBudgetIsBounded() throws {
        let fs = FakeFilesystem()
        fs.addSystem()
        let runpath = (0..<200).map { "/d\($0)" }.joined(separator: ":")
        let program = try FakeFilesystem.program(needed: (0..<200).map { "libmissing\($0).so" }, runpath: runpath)
        let closure = fs.resolver().closure(of: program, at: "/p")
        #expect(fs.probes.count <= ELFLimits.maxProbes + 1)
        #expect(closure.unusable.contains { $0.reason.contains("budget") })
    }

    @Test func detectsLibExpansionFromTheLayout() {
        let fs = FakeFilesystem()
        fs.addSystem()
        let debian = LibraryResolver(cache: nil, canonicalPath: { fs.canonical($0) }, load: { fs.load($0) })
        #expect(debian.lib == "lib/\(ELFHost.multiarchTriplet)")
        let other = FakeFilesystem()
        other.add("/usr/lib64/libc.so.6", FakeFilesystem.library())
        #expect(LibraryResolver(cache: nil, canonicalPath: { other.canonical($0) }, load: { other.load($0) }).lib == "lib64")
        #expect(LibraryResolver(cache: nil, canonicalPath: { _ in nil }, load: { other.load($0) }).lib == "lib")
    }
}
