/// The facts about a native program or library that decide whether it may run and what it
/// loads: its class, byte order and machine, its interpreter, its DT_NEEDED libraries and
/// search paths, and whether it asks for an executable stack or text relocations.
///
/// Parsing reads only the ELF header, the program header table, PT_INTERP and PT_DYNAMIC with
/// the strings it names, each bounded by `ELFLimits`; anything malformed, ambiguous or out of
/// range throws `ELFError`.
public struct ELFImage: Sendable, Equatable {
    public enum FileClass: Sendable, Equatable { case elf32, elf64 }
    public enum Endianness: Sendable, Equatable { case little, big }

    public let fileClass: FileClass
    public let endianness: Endianness
    /// e_machine: 62 x86-64, 183 AArch64, 3 i386, 40 ARM, ...
    public let machine: UInt16
    /// EI_OSABI: 0 System V, 3 GNU/Linux, ...
    public let osABI: UInt8
    /// e_type: 1 ET_REL, 2 ET_EXEC, 3 ET_DYN (shared objects and PIE), 4 ET_CORE.
    public let type: UInt16
    /// PT_INTERP: the dynamic loader the kernel starts for this program.
    public let interpreter: String?
    /// DT_NEEDED names, in file order (the order ld.so loads them).
    public let needed: [String]
    /// DT_RUNPATH split on ':' (empty elements kept: ld.so reads them as the working directory).
    public let runpath: [String]
    /// DT_RPATH split on ':'. ld.so ignores it when DT_RUNPATH is present; it is still reported.
    public let rpath: [String]
    public let soname: String?
    /// A PT_DYNAMIC program header exists.
    public let hasDynamicSection: Bool
    /// A PT_GNU_STACK program header exists.
    public let hasGNUStack: Bool
    /// Some PT_GNU_STACK has PF_X, or there is none (the kernel and glibc then assume an
    /// executable stack).
    public let executableStack: Bool
    /// DT_TEXTREL is present or DT_FLAGS has DF_TEXTREL: the loader must make code writable.
    public let textRelocations: Bool
    /// DT_FLAGS_1 has DF_1_NODEFLIB: ld.so skips its default directories (and cache entries in
    /// them) for this object's dependencies.
    public let noDefaultLibraries: Bool

    /// No interpreter: the kernel runs it directly and no library is loaded.
    public var isStatic: Bool { interpreter == nil }

    /// The first bytes are the ELF magic "\x7fELF".
    public static func looksLikeELF(_ head: [UInt8]) -> Bool { head.starts(with: ELFConstant.magic) }

    public init(bytes: [UInt8]) throws(ELFError) {
        try self.init(source: ELFBytes(bytes))
    }

    public init(source: some ELFByteSource) throws(ELFError) {
        let head = try source.read(at: 0, count: min(source.size, 64))
        guard Self.looksLikeELF(head) else {
            if head.count < 4, ELFConstant.magic.starts(with: head) { throw .truncated("\(head.count) bytes: shorter than the ELF magic") }
            throw ELFError(code: "elf.bad_magic", message: "not an ELF file (no \\x7fELF magic)")
        }
        let ident = ELFDecoder(bytes: head, bigEndian: false, wordSize: 1)
        let is64: Bool
        switch try ident.u8(4) {
        case ELFConstant.classELF32: is64 = false
        case ELFConstant.classELF64: is64 = true
        case let other: throw ELFError(code: "elf.bad_class", message: "EI_CLASS \(other) is neither ELFCLASS32 nor ELFCLASS64")
        }
        let bigEndian: Bool
        switch try ident.u8(5) {
        case ELFConstant.data2LSB: bigEndian = false
        case ELFConstant.data2MSB: bigEndian = true
        case let other: throw ELFError(code: "elf.bad_data", message: "EI_DATA \(other) is neither ELFDATA2LSB nor ELFDATA2MSB")
        }
        let identVersion = try ident.u8(6)
        guard identVersion == 1 else { throw ELFError(code: "elf.bad_version", message: "EI_VERSION \(identVersion), expected 1") }
        let headerSize = is64 ? 64 : 52
        guard head.count >= headerSize else { throw .truncated("\(head.count) bytes: shorter than the \(headerSize)-byte ELF header") }

        let header = ELFDecoder(bytes: head, bigEndian: bigEndian, wordSize: is64 ? 8 : 4)
        let version = try header.u32(20)
        guard version == ELFConstant.versionCurrent else { throw ELFError(code: "elf.bad_version", message: "e_version \(version), expected 1") }
        let phoff = try header.word(is64 ? 32 : 28)
        let phentsize = Int(try header.u16(is64 ? 54 : 42))
        let phnum = try header.u16(is64 ? 56 : 44)
        guard phnum != ELFConstant.phnumExtended else { throw .unsupported("e_phnum is PN_XNUM (more than 65534 program headers)") }
        guard Int(phnum) <= ELFLimits.maxProgramHeaders else { throw .tooLarge("e_phnum \(phnum) exceeds \(ELFLimits.maxProgramHeaders)") }
        let entrySize = is64 ? 56 : 32
        guard phnum == 0 || phentsize == entrySize else {
            throw ELFError(code: "elf.bad_header", message: "e_phentsize \(phentsize), expected \(entrySize) for this class")
        }

        var segments: [ELFSegment] = []
        if phnum > 0 {
            let range = try ELFFileRange.check(offset: phoff, count: UInt64(Int(phnum) * entrySize), fileSize: source.size, what: "program header table")
            let table = ELFDecoder(bytes: try source.read(at: range.offset, count: range.count), bigEndian: bigEndian, wordSize: is64 ? 8 : 4)
            for i in 0..<Int(phnum) { segments.append(try ELFSegment(table: table, index: i, is64: is64)) }
        }
        let loads = try ELFLoadMap(segments: segments, fileSize: source.size)

        let interps = segments.filter { $0.type == ELFConstant.ptInterp }
        let dynamics = segments.filter { $0.type == ELFConstant.ptDynamic }
        let stacks = segments.filter { $0.type == ELFConstant.ptGNUStack }
        // The kernel takes the first PT_INTERP and ld.so the last PT_DYNAMIC: refuse two.
        guard interps.count <= 1 else { throw ELFError(code: "elf.bad_interp", message: "more than one PT_INTERP") }
        guard dynamics.count <= 1 else { throw .badDynamic("more than one PT_DYNAMIC") }

        var interpreter: String?
        if let segment = interps.first { interpreter = try Self.interpreter(segment, source: source) }
        var dynamic = ELFDynamicInfo()
        if let segment = dynamics.first {
            dynamic = try ELFDynamicInfo(source: source, segment: segment, loads: loads, is64: is64, bigEndian: bigEndian)
        }

        fileClass = is64 ? .elf64 : .elf32
        endianness = bigEndian ? .big : .little
        machine = try header.u16(18)
        osABI = try ident.u8(7)
        type = try header.u16(16)
        self.interpreter = interpreter
        needed = dynamic.needed
        runpath = dynamic.runpath
        rpath = dynamic.rpath
        soname = dynamic.soname
        hasDynamicSection = !dynamics.isEmpty
        hasGNUStack = !stacks.isEmpty
        // With several PT_GNU_STACK headers the kernel obeys the last; any PF_X counts here.
        executableStack = stacks.isEmpty || stacks.contains { $0.flags & ELFConstant.pfX != 0 }
        textRelocations = dynamic.textRelocations
        noDefaultLibraries = dynamic.noDefaultLibraries
    }

    /// PT_INTERP as the kernel reads it: inside the file, its last byte NUL, the path up to
    /// the first NUL non-empty.
    private static func interpreter(_ segment: ELFSegment, source: some ELFByteSource) throws(ELFError) -> String {
        guard segment.filesz >= 2, segment.filesz <= UInt64(ELFLimits.maxStringLength + 1) else {
            throw ELFError(code: "elf.bad_interp", message: "PT_INTERP of \(segment.filesz) bytes (1 to \(ELFLimits.maxStringLength) plus NUL accepted)")
        }
        let range = try ELFFileRange.check(offset: segment.offset, count: segment.filesz, fileSize: source.size, what: "PT_INTERP")
        let bytes = try source.read(at: range.offset, count: range.count)
        guard bytes.last == 0, let end = bytes.firstIndex(of: 0), end > 0 else {
            throw ELFError(code: "elf.bad_interp", message: "PT_INTERP is empty or not NUL-terminated")
        }
        return try ELFStrings.utf8(bytes[..<end], what: "PT_INTERP")
    }
}
