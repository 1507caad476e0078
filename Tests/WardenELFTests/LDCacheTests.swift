import Testing
import WardenTestSupport
@testable import WardenELF

@Suite struct LDCacheTests {
    static var sample: LDCacheBuilder {
        LDCacheBuilder(entries: [
            .init(name: "libc.so.6", path: "/lib/x86_64-linux-gnu/libc.so.6"),
            .init(flags: 0x0003, name: "libc.so.6", path: "/lib32/libc.so.6"),  // i386: another host's
            .init(name: "libz.so.1", path: "/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libz.so.1", hwcap: 1 << 62),
            .init(name: "libz.so.1", path: "/usr/lib/x86_64-linux-gnu/libz.so.1"),
        ])
    }

    @Test func hostCacheResolvesLibc() throws {
        let cache = try LDCache(path: "/etc/ld.so.cache")
        #expect(!cache.entries.isEmpty)
        let paths = cache.paths(for: "libc.so.6")
        let first = try #require(paths.first, "libc.so.6 is not in /etc/ld.so.cache")
        #expect(HostFilesystem.canonicalRegularFile(first) != nil, "\(first) does not exist")
        #expect(cache.paths(for: "no-such-library.so.0").isEmpty)
    }

    @Test func keepsOnlyThisHostsEntries() throws {
        let cache = try LDCache(bytes: Self.sample.build())
        #expect(cache.entries.count == 3)
        #expect(cache.paths(for: "libc.so.6") == ["/lib/x86_64-linux-gnu/libc.so.6"])
        #expect(cache.paths(for: "libz.so.1") == ["/usr/lib/x86_64-linux-gnu/libz.so.1",
                                                   "/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libz.so.1"])
    }

    @Test func newFormatAfterOldFormat() throws {
        for old in [0, 1, 2, 3, 7] {
            var builder = Self.sample
            builder.oldEntries = old
            let cache = try LDCache(bytes: builder.build())
            #expect(cache == (try LDCache(bytes: Self.sample.build())), "\(old) old entries")
        }
        var oldOnly = Array("ld.so-1.7.0".utf8) + [0, 1, 0, 0, 0]
        oldOnly += [UInt8](repeating: 0, count: 12) + Array("libc.so.6\0/lib/libc.so.6\0".utf8)
        #expect(throws: ELFError.self) { try LDCache(bytes: oldOnly) }
    }

    @Test func byteOrderFlag() throws {
        var builder = Self.sample
        builder.endianFlag = 0  // written by an ldconfig that did not record it
        #expect(try LDCache(bytes: builder.build()).entries.count == 3)
        for flag: UInt8 in [1, 3] {
            builder.endianFlag = flag
            #expect(throws: ELFError.self) { try LDCache(bytes: builder.build()) }
        }
    }

    @Test func garbledCachesThrow() throws {
        let good = Self.sample.build()
        #expect(throws: ELFError.self) { try LDCache(bytes: []) }
        #expect(throws: ELFError.self) { try LDCache(bytes: Array("not a cache at all, just text".utf8)) }
        var bytes = good
        bytes[20...23] = [0xFF, 0xFF, 0xFF, 0xFF]  // nlibs
        #expect(throws: ELFError.self) { try LDCache(bytes: bytes) }
        bytes = good
        bytes[20...23] = [0x00, 0x00, 0x01, 0x00]  // 65536: allowed count, but the file ends first
        #expect(throws: ELFError.self) { try LDCache(bytes: bytes) }
        bytes = good
        bytes[48 + 4...48 + 7] = [0xFF, 0xFF, 0xFF, 0x7F]  // first entry's key far past the end
        #expect(throws: ELFError.self) { try LDCache(bytes: bytes) }
        bytes = good
        bytes.removeLast()  // the last string loses its NUL
        #expect(throws: ELFError.self) { try LDCache(bytes: bytes) }
        #expect(throws: ELFError.self) { try LDCache(bytes: [UInt8](repeating: 0, count: ELFLimits.maxCacheSize + 1)) }
    }

    @Test func everyStrictPrefixOfASampleThrows() {
        let good = Self.sample.build()
        for length in 0..<good.count {
            #expect(throws: ELFError.self, "prefix \(length)") { try LDCache(bytes: Array(good.prefix(length))) }
        }
    }

    @Test func hostCachePrefixesAndMutationsNeverTrap() throws {
        let source = try ELFFileSource(path: "/etc/ld.so.cache")
        let host = try source.read(at: 0, count: source.size)
        var length = 0
        while length < host.count {
            _ = try? LDCache(bytes: Array(host.prefix(length)))
            length += length < 256 ? 1 : 211
        }
        var rng = SplitMix64(state: 0xCAC4E)
        for _ in 0..<300 {
            var bytes = host
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                let at = Int.random(in: 0..<min(bytes.count, 4096), using: &rng)
                bytes[at] = UInt8.random(in: 0...255, using: &rng)
            }
            if let cache = try? LDCache(bytes: bytes) {
                #expect(cache.entries.allSatisfy { cache.paths(for: $0.name).contains($0.path) })
            }
        }
    }
}
