import WardenELF

extension FuzzHarness {
    /// The native-program parsers: the bytes as an ELF image and as an ld.so.cache, and the
    /// library walk over a fake filesystem in which every path is a file holding that image
    /// (so every search succeeds and the walk runs to its bounds).
    static func fuzzELF(_ bytes: [UInt8]) {
        if let cache = try? LDCache(bytes: bytes) {
            precondition(cache.entries.count <= ELFLimits.maxCacheEntries, "cache entries beyond the cap")
            for entry in cache.entries.prefix(64) {
                precondition(cache.paths(for: entry.name).contains(entry.path), "a cache entry is not found by its name")
            }
        }
        guard let image = try? ELFImage(bytes: bytes) else { return }
        precondition(image.needed.count <= ELFLimits.maxNeeded, "DT_NEEDED beyond the cap")
        precondition(image.needed.allSatisfy { !$0.isEmpty && $0.utf8.count <= ELFLimits.maxStringLength }, "DT_NEEDED name out of bounds")
        precondition((image.interpreter?.utf8.count ?? 1) >= 1 && (image.interpreter?.utf8.count ?? 0) <= ELFLimits.maxStringLength,
                     "PT_INTERP out of bounds")
        precondition(image.hasGNUStack || image.executableStack, "no PT_GNU_STACK must mean an executable stack")
        let native = image.machine == ELFHost.machine && image.fileClass == ELFHost.fileClass && image.endianness == ELFHost.endianness
        precondition((image.hostMismatch() == nil) == native, "hostMismatch disagrees with class, byte order and machine")
        precondition((try? ELFImage(source: ELFBytes(bytes))) == image, "the two entry points disagree")

        var probes = 0
        let resolver = LibraryResolver(cache: nil, lib: "lib64", canonicalPath: { path in
            probes += 1
            return path
        }, load: { _ in .success(image) })
        let closure = resolver.closure(of: image, at: "/fuzz/bin/prog")
        precondition(probes <= ELFLimits.maxProbes + 8, "the walk exceeded its look-up budget")
        precondition(closure.libraries.count <= ELFLimits.maxLibraries + 1, "the closure exceeded its library cap")
        precondition(closure.libraries.allSatisfy { !$0.paths.isEmpty }, "a library without a path")
        precondition(Set(closure.libraries.map(\.name)).count == closure.libraries.count, "a name resolved twice")
        precondition(closure.allPaths.allSatisfy { $0.hasPrefix("/") }, "a relative path to bind")
    }
}
