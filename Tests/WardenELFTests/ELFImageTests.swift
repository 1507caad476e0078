import Testing
@testable import WardenELF

/// Well-formed crafted images: every field the parser reports.
@Suite struct ELFImageTests {
    @Test func staticExecutable() throws {
        var b = ELFBuilder()
        b.type = 2
        let image = try ELFImage(bytes: b.build())
        #expect(image.isStatic)
        #expect(image.interpreter == nil)
        #expect(image.needed.isEmpty && image.runpath.isEmpty && image.rpath.isEmpty && image.soname == nil)
        #expect(!image.hasDynamicSection)
        #expect(image.hasGNUStack && !image.executableStack && !image.textRelocations)
        #expect(image.type == 2 && image.fileClass == .elf64 && image.endianness == .little && image.machine == ELFHost.machine)
        #expect(image.hostMismatch() == nil)
    }

    @Test func dynamicProgram() throws {
        var b = ELFBuilder.program
        b.soname = "prog"
        b.osABI = 3
        let image = try ELFImage(bytes: b.build())
        #expect(!image.isStatic)
        #expect(image.interpreter == "/lib64/ld-linux-x86-64.so.2")
        #expect(image.needed == ["libfoo.so.1", "libc.so.6"])
        #expect(image.runpath == ["/opt/app/lib", "$ORIGIN/../lib"])
        #expect(image.rpath.isEmpty)
        #expect(image.soname == "prog")
        #expect(image.osABI == 3)
        #expect(image.hasDynamicSection && !image.noDefaultLibraries)
        #expect(try ELFImage(source: ELFBytes(b.build())) == image)
    }

    @Test func rpathKeepsEmptyElements() throws {
        var b = ELFBuilder.program
        b.runpath = nil
        b.rpath = "/a::/b:"
        #expect(try ELFImage(bytes: b.build()).rpath == ["/a", "", "/b", ""])
    }

    @Test func staticPIEHasDynamicSectionButNoInterpreter() throws {
        var b = ELFBuilder()
        b.forceDynamic = true
        let image = try ELFImage(bytes: b.build())
        #expect(image.isStatic && image.hasDynamicSection && image.needed.isEmpty)
    }

    @Test func executableStack() throws {
        var b = ELFBuilder.program
        b.gnuStackFlags = ELFBuilder.pfR | ELFBuilder.pfW | ELFBuilder.pfX
        var image = try ELFImage(bytes: b.build())
        #expect(image.hasGNUStack && image.executableStack)
        b.gnuStackFlags = nil
        image = try ELFImage(bytes: b.build())
        #expect(!image.hasGNUStack && image.executableStack, "no PT_GNU_STACK means an executable stack")
    }

    @Test func textRelocations() throws {
        var b = ELFBuilder.program
        #expect(try !ELFImage(bytes: b.build()).textRelocations)
        b.textrel = true
        #expect(try ELFImage(bytes: b.build()).textRelocations)
        b.textrel = false
        b.dtFlags = 0x4  // DF_TEXTREL
        #expect(try ELFImage(bytes: b.build()).textRelocations)
        b.dtFlags = 0x8  // DF_BIND_NOW only
        #expect(try !ELFImage(bytes: b.build()).textRelocations)
    }

    @Test func noDefaultLibraries() throws {
        var b = ELFBuilder.program
        b.dtFlags1 = 0x800 | 0x1
        #expect(try ELFImage(bytes: b.build()).noDefaultLibraries)
    }

    @Test func foreignAArch64IsDescribedThenRefused() throws {
        var b = ELFBuilder.program
        b.machine = 183
        let image = try ELFImage(bytes: b.build())
        #expect(image.machine == 183 && image.needed == ["libfoo.so.1", "libc.so.6"])
        #if arch(x86_64)
        #expect(image.hostMismatch() == "ELF for machine 183 (AArch64), this host runs x86-64 (62)")
        #else
        #expect(image.hostMismatch() == nil)
        #endif
    }

    @Test func foreignARM32BigEndian() throws {
        var b = ELFBuilder.program
        b.is64 = false
        b.bigEndian = true
        b.machine = 40
        b.interpreter = "/lib/ld-linux.so.3"
        let image = try ELFImage(bytes: b.build())
        #expect(image.fileClass == .elf32 && image.endianness == .big && image.machine == 40)
        #expect(image.interpreter == "/lib/ld-linux.so.3")
        #expect(image.needed == ["libfoo.so.1", "libc.so.6"] && image.runpath == ["/opt/app/lib", "$ORIGIN/../lib"])
        let reason = try #require(image.hostMismatch())
        #expect(reason.hasPrefix("ELF for machine 40 (ARM), this host runs "))
    }

    @Test func hostMachineWithWrongClassOrByteOrder() throws {
        var b = ELFBuilder.program
        b.is64 = false  // x32-style: the host's machine in ELFCLASS32
        #expect(try ELFImage(bytes: b.build()).hostMismatch()?.contains("32-bit ELF") == true)
        b.is64 = true
        b.bigEndian = true
        #expect(try ELFImage(bytes: b.build()).hostMismatch()?.contains("big-endian ELF") == true)
    }

    @Test func looksLikeELF() {
        #expect(ELFImage.looksLikeELF([0x7F, 0x45, 0x4C, 0x46, 2]))
        #expect(!ELFImage.looksLikeELF([0x7F, 0x45, 0x4C]))
        #expect(!ELFImage.looksLikeELF(Array("#!/bin/sh".utf8)))
    }

    @Test func nonELFThrowsBadMagic() {
        #expect(throws: ELFError.self) { try ELFImage(bytes: []) }
        #expect(throws: ELFError(code: "elf.bad_magic", message: "not an ELF file (no \\x7fELF magic)")) {
            try ELFImage(bytes: Array("#!/bin/sh\necho hi\n".utf8))
        }
    }

    @Test func relocatableObjectWithoutProgramHeaders() throws {
        var layout = ELFBuilder().layout()
        layout.set(layout.phnumField, 0, width: 2)
        layout.set(layout.phentsizeField, 0, width: 2)
        layout.set(16, 1, width: 2)  // ET_REL
        let image = try ELFImage(bytes: layout.bytes)
        #expect(image.type == 1 && !image.hasGNUStack && image.executableStack && image.isStatic)
    }
}
