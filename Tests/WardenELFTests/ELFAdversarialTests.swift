import Testing
import WardenTestSupport
@testable import WardenELF

/// Hostile images: each must throw an `ELFError` (never trap, never read or allocate what a
/// size field claims).
@Suite struct ELFAdversarialTests {
    func code(_ bytes: [UInt8]) -> String? {
        do {
            _ = try ELFImage(bytes: bytes)
            return nil
        } catch {
            return error.code
        }
    }

    static let variants: [ELFBuilder] = {
        var list: [ELFBuilder] = []
        for is64 in [true, false] {
            for bigEndian in [false, true] {
                var b = ELFBuilder.program
                b.is64 = is64
                b.bigEndian = bigEndian
                b.soname = "libx.so"
                b.rpath = "/r"
                list.append(b)
            }
        }
        return list
    }()

    @Test(arguments: 0..<4) func everyStrictPrefixThrows(variant: Int) throws {
        let bytes = Self.variants[variant].build()
        _ = try ELFImage(bytes: bytes)
        for length in 0..<bytes.count {
            // The one PT_LOAD spans the whole file, so every strict prefix is truncated.
            #expect(code(Array(bytes.prefix(length))) != nil, "prefix \(length) of \(bytes.count) parsed")
        }
    }

    @Test func identFieldsAreChecked() {
        let good = ELFBuilder.program.build()
        for (index, value, expected) in [(4, 0, "elf.bad_class"), (4, 3, "elf.bad_class"), (5, 0, "elf.bad_data"),
                                         (5, 3, "elf.bad_data"), (6, 0, "elf.bad_version"), (6, 2, "elf.bad_version"),
                                         (0, 0x7E, "elf.bad_magic"), (3, 0x66, "elf.bad_magic")] {
            var bytes = good
            bytes[index] = UInt8(value)
            #expect(code(bytes) == expected, "byte \(index) = \(value)")
        }
        var layout = ELFBuilder.program.layout()
        layout.set(20, 2, width: 4)
        #expect(code(layout.bytes) == "elf.bad_version")
    }

    @Test func shortHeaderIsTruncated() {
        let good = ELFBuilder.program.build()
        #expect(code(Array(good.prefix(2))) == "elf.truncated")
        #expect(code(Array(good.prefix(40))) == "elf.truncated")
    }

    @Test func programHeaderEntrySizeMustMatchClass() {
        for is64 in [true, false] {
            for size: UInt64 in [0, 1, 31, 33, 55, 57, 64, 0xFFFF] where size != (is64 ? 56 : 32) {
                var b = ELFBuilder.program
                b.is64 = is64
                var layout = b.layout()
                layout.set(layout.phentsizeField, size, width: 2)
                #expect(code(layout.bytes) == "elf.bad_header", "phentsize \(size)")
            }
        }
    }

    @Test func programHeaderCount() {
        var layout = ELFBuilder.program.layout()
        layout.set(layout.phnumField, 0xFFFF, width: 2)
        #expect(code(layout.bytes) == "elf.unsupported")
        layout.set(layout.phnumField, 5000, width: 2)
        #expect(code(layout.bytes) == "elf.too_large")
        layout.set(layout.phnumField, 4000, width: 2)
        #expect(code(layout.bytes) == "elf.bad_offset", "a table far past the end of the file")
    }

    @Test func absurdProgramHeaderOffsets() {
        for phoff: UInt64 in [UInt64(Int64.max), UInt64(Int64.max) - 100, UInt64.max, UInt64.max - 223, 1 << 40] {
            var layout = ELFBuilder.program.layout()
            layout.setWord(layout.phoffField, phoff)
            #expect(code(layout.bytes) == "elf.bad_offset", "e_phoff \(phoff)")
        }
        var b = ELFBuilder.program
        b.is64 = false
        var layout = b.layout()
        layout.setWord(layout.phoffField, 0xFFFF_FFF0)
        #expect(code(layout.bytes) == "elf.bad_offset")
    }

    @Test func absurdSegmentOffsetsAndSizes() throws {
        let base = ELFBuilder.program.layout()
        let interp = try #require(base.interpIndex), dynamic = try #require(base.dynamicIndex)
        let cases: [(String, (inout ELFBuilder.Layout) -> Void)] = [
            ("interp offset near max", { $0.setWord($0.pOffsetField(interp), UInt64.max - 10) }),
            ("interp offset Int64.max", { $0.setWord($0.pOffsetField(interp), UInt64(Int64.max)) }),
            ("interp size huge", { $0.setWord($0.pFileszField(interp), UInt64.max) }),
            ("dynamic offset near max", { $0.setWord($0.pOffsetField(dynamic), UInt64.max - 3) }),
            ("dynamic size huge", { $0.setWord($0.pFileszField(dynamic), 1 << 62) }),
            ("load size huge", { $0.setWord($0.pFileszField(0), UInt64.max); $0.setWord($0.pMemszField(0), UInt64.max) }),
            ("load offset near max", { $0.setWord($0.pOffsetField(0), UInt64.max - 1) }),
            ("load address wraps", { $0.setWord($0.pVaddrField(0), UInt64.max - 100) }),
            ("load filesz > memsz", { $0.setWord($0.pMemszField(0), 10) }),
        ]
        for (name, corrupt) in cases {
            var layout = base
            corrupt(&layout)
            #expect(code(layout.bytes) != nil, "\(name) parsed")
        }
    }

    @Test func dynamicStringTableMustBeMappedAndBounded() throws {
        let base = ELFBuilder.program.layout()
        let strsz = try #require(base.valueField(ELFConstant.dtStrsz)), strtab = try #require(base.valueField(ELFConstant.dtStrtab))
        let needed = try #require(base.valueField(ELFConstant.dtNeeded))
        for value: UInt64 in [UInt64.max, 1 << 40, UInt64(base.bytes.count)] {
            var layout = base
            layout.setWord(strsz, value)
            #expect(code(layout.bytes) == "elf.bad_dynamic", "DT_STRSZ \(value)")
        }
        for value: UInt64 in [0, 0x1000, UInt64.max, base.baseAddress + UInt64(base.bytes.count)] {
            var layout = base
            layout.setWord(strtab, value)
            #expect(code(layout.bytes) == "elf.bad_dynamic", "DT_STRTAB \(value)")
        }
        var layout = base
        layout.setWord(needed, UInt64.max)
        #expect(code(layout.bytes) == "elf.bad_dynamic", "DT_NEEDED offset past DT_STRSZ")
    }

    @Test func neededWithoutStringTable() throws {
        var layout = ELFBuilder.program.layout()
        let strtabTag = try #require(layout.valueField(ELFConstant.dtStrtab)) - layout.wordSize
        layout.setWord(strtabTag, 0x7000_0000)  // an unknown tag in DT_STRTAB's place
        #expect(code(layout.bytes) == "elf.bad_dynamic")
    }

    @Test func dynamicWithoutNull() throws {
        var layout = ELFBuilder.program.layout()
        let nullTag = try #require(layout.dynamicEntries.last).valueOffset - layout.wordSize
        layout.setWord(nullTag, 0x7000_0000)
        #expect(code(layout.bytes) == "elf.bad_dynamic")
    }

    @Test func dynamicAddressMustMatchItsOffset() throws {
        var layout = ELFBuilder.program.layout()
        let dynamic = try #require(layout.dynamicIndex)
        layout.setWord(layout.pVaddrField(dynamic), layout.baseAddress + 8)
        #expect(code(layout.bytes) == "elf.bad_dynamic")
    }

    @Test func duplicateSingleValuedTag() throws {
        var layout = ELFBuilder.program.layout()
        let runpathTag = try #require(layout.valueField(ELFConstant.dtRunpath)) - layout.wordSize
        layout.setWord(runpathTag, ELFConstant.dtStrsz)
        #expect(code(layout.bytes) == "elf.bad_dynamic")
    }

    @Test func duplicateInterpreterOrDynamic() throws {
        var layout = ELFBuilder.program.layout()
        let stack = try #require(layout.stackIndex)
        layout.set(layout.phdr(stack), UInt64(ELFConstant.ptInterp), width: 4)
        #expect(code(layout.bytes) == "elf.bad_interp")
        layout.set(layout.phdr(stack), UInt64(ELFConstant.ptDynamic), width: 4)
        #expect(code(layout.bytes) == "elf.bad_dynamic")
    }

    @Test func overlappingLoads() throws {
        var layout = ELFBuilder.program.layout()
        let stack = try #require(layout.stackIndex)
        layout.set(layout.phdr(stack), UInt64(ELFConstant.ptLoad), width: 4)
        layout.setWord(layout.pVaddrField(stack), layout.baseAddress + 16)
        layout.setWord(layout.pFileszField(stack), 16)
        layout.setWord(layout.pMemszField(stack), 16)
        #expect(code(layout.bytes) == "elf.bad_offset")
    }

    @Test func interpreterRules() throws {
        var layout = ELFBuilder.program.layout()
        let interp = try #require(layout.interpIndex)
        var unterminated = layout
        unterminated.bytes[layout.interpOffset + Int("/lib64/ld-linux-x86-64.so.2".utf8.count)] = 0x41
        #expect(code(unterminated.bytes) == "elf.bad_interp")
        layout.setWord(layout.pFileszField(interp), 4098)
        #expect(code(layout.bytes) == "elf.bad_interp")
        var empty = ELFBuilder.program
        empty.interpreter = ""
        #expect(code(empty.build()) == "elf.bad_interp")
        var long = ELFBuilder.program
        long.interpreter = "/" + String(repeating: "a", count: 4095)
        #expect(try ELFImage(bytes: long.build()).interpreter?.utf8.count == 4096)
        long.interpreter = "/" + String(repeating: "a", count: 4096)
        #expect(code(long.build()) == "elf.bad_interp")
    }

    @Test func stringRules() throws {
        var b = ELFBuilder.program
        b.needed = ["/" + String(repeating: "n", count: 4096)]
        #expect(code(b.build()) == "elf.bad_string")
        b.needed = [String(repeating: "n", count: 4096)]
        #expect(try ELFImage(bytes: b.build()).needed[0].utf8.count == 4096)
        b.needed = [""]
        #expect(code(b.build()) == "elf.bad_string")

        var layout = ELFBuilder.program.layout()
        layout.bytes[layout.dynstrOffset + 1] = 0xFF  // inside "libfoo.so.1"
        #expect(code(layout.bytes) == "elf.bad_string")

        // The last string loses its NUL: the string table ends first.
        layout = ELFBuilder.program.layout()
        let strsz = try #require(layout.valueField(ELFConstant.dtStrsz))
        let size = ELFDecoder(bytes: layout.bytes, bigEndian: false, wordSize: 8)
        layout.setWord(strsz, try size.word(strsz) - 1)
        #expect(code(layout.bytes) == "elf.bad_string")
    }

    @Test func neededCountIsCapped() throws {
        var b = ELFBuilder.program
        b.needed = (0..<1024).map { "lib\($0).so" }
        #expect(try ELFImage(bytes: b.build()).needed.count == 1024)
        b.needed.append("one-too-many.so")
        #expect(code(b.build()) == "elf.too_large")
    }

    @Test func sourcesRefuseBadRanges() {
        let source = ELFBytes([1, 2, 3])
        #expect(throws: ELFError.self) { try source.read(at: -1, count: 1) }
        #expect(throws: ELFError.self) { try source.read(at: 1, count: -1) }
        #expect(throws: ELFError.self) { try source.read(at: Int.max, count: 2) }
        #expect(throws: ELFError.self) { try source.read(at: 2, count: 2) }
        #expect(throws: ELFError.self) { try source.read(at: 0, count: ELFLimits.maxRead + 1) }
        #expect((try? source.read(at: 1, count: 2)) == [2, 3])
        #expect((try? source.read(at: 3, count: 0)) == [])
    }

    /// Random corruption of valid images (bytes, whole fields, lengths) never traps; whatever
    /// still parses respects the caps and can be walked by the resolver.
    @Test func randomMutationsNeverTrap() throws {
        var rng = SplitMix64(state: 0x5EED_E1F0)
        var parsed = 0
        for iteration in 0..<3000 {
            var bytes = Self.variants[iteration % 4].build()
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                switch Int.random(in: 0..<5, using: &rng) {
                case 0:
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                case 1:
                    let at = Int.random(in: 0..<(bytes.count - 8), using: &rng)
                    let value: UInt64 = [UInt64.max, UInt64(Int64.max), 0, 1 << 32, rng.next()].randomElement(using: &rng) ?? 0
                    ELFBuilder.put(&bytes, at, value, width: [2, 4, 8].randomElement(using: &rng) ?? 8, bigEndian: false)
                case 2:
                    bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
                case 3:
                    bytes += (0..<Int.random(in: 1...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                default:
                    // Flip a field the parser trusts least: somewhere in the headers.
                    let at = Int.random(in: 0..<min(bytes.count, 300), using: &rng)
                    bytes[at] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
                }
                if bytes.count < 16 { break }
            }
            guard let image = try? ELFImage(bytes: bytes) else { continue }
            parsed += 1
            #expect(image.needed.count <= ELFLimits.maxNeeded)
            #expect(image.needed.allSatisfy { !$0.isEmpty && $0.utf8.count <= ELFLimits.maxStringLength })
            #expect(image.hasGNUStack || image.executableStack)
            let closure = FakeFilesystem.everywhere(image).resolver().closure(of: image, at: "/bin/prog")
            #expect(closure.libraries.allSatisfy { !$0.paths.isEmpty })
        }
        #expect(parsed > 0, "no mutation parsed at all: the test is not reaching the deeper parsers")
    }
}
