/// What the dynamic section (PT_DYNAMIC) says the loader must do for this object.
struct ELFDynamicInfo: Sendable {
    var needed: [String] = []
    var runpath: [String] = []
    var rpath: [String] = []
    var soname: String?
    var textRelocations = false
    var noDefaultLibraries = false

    /// No dynamic section: nothing needed, no search paths.
    init() {}

    /// Reads at most `ELFLimits.maxDynamicBytes` of the segment, up to DT_NULL. Tags the loader
    /// keeps only one of (DT_STRTAB, DT_STRSZ, DT_SONAME, DT_RPATH, DT_RUNPATH) must appear at
    /// most once, so this parser and ld.so cannot pick different ones.
    init(source: some ELFByteSource, segment: ELFSegment, loads: ELFLoadMap, is64: Bool, bigEndian: Bool) throws(ELFError) {
        let range = try ELFFileRange.check(offset: segment.offset, count: segment.filesz, fileSize: source.size, what: "PT_DYNAMIC")
        // ld.so reads the dynamic section from memory (p_vaddr), the parser from the file
        // (p_offset): they must be the same bytes.
        guard let mapped = loads.fileOffset(of: segment.vaddr), mapped.offset == segment.offset,
              mapped.available >= UInt64(min(range.count, ELFLimits.maxDynamicBytes)) else {
            throw .badDynamic("PT_DYNAMIC at address \(segment.vaddr) is not loaded from its file offset \(segment.offset)")
        }
        let entrySize = is64 ? 16 : 8
        let count = min(range.count, ELFLimits.maxDynamicBytes) / entrySize
        let table = ELFDecoder(bytes: try source.read(at: range.offset, count: count * entrySize), bigEndian: bigEndian, wordSize: is64 ? 8 : 4)

        var neededOffsets: [UInt64] = []
        var single: [UInt64: UInt64] = [:]  // tag → value for the once-only tags
        var terminated = false
        for i in 0..<count {
            let tag = try table.word(i * entrySize)
            let value = try table.word(i * entrySize + entrySize / 2)
            switch tag {
            case ELFConstant.dtNull:
                terminated = true
            case ELFConstant.dtNeeded:
                guard neededOffsets.count < ELFLimits.maxNeeded else { throw .tooLarge("more than \(ELFLimits.maxNeeded) DT_NEEDED entries") }
                neededOffsets.append(value)
            case ELFConstant.dtStrtab, ELFConstant.dtStrsz, ELFConstant.dtSoname, ELFConstant.dtRpath, ELFConstant.dtRunpath:
                guard single.updateValue(value, forKey: tag) == nil else { throw .badDynamic("dynamic tag \(tag) appears more than once") }
            case ELFConstant.dtTextrel:
                textRelocations = true
            case ELFConstant.dtFlags:
                if value & ELFConstant.dfTextrel != 0 { textRelocations = true }
            case ELFConstant.dtFlags1:
                if value & ELFConstant.df1Nodeflib != 0 { noDefaultLibraries = true }
            default:
                break
            }
            if terminated { break }
        }
        guard terminated else { throw .badDynamic("no DT_NULL within the first \(count) dynamic entries") }

        let stringTags = [ELFConstant.dtSoname, ELFConstant.dtRpath, ELFConstant.dtRunpath]
        guard !neededOffsets.isEmpty || stringTags.contains(where: { single[$0] != nil }) else { return }
        guard let strtab = single[ELFConstant.dtStrtab], let strsz = single[ELFConstant.dtStrsz] else {
            throw .badDynamic("dynamic strings are used but DT_STRTAB or DT_STRSZ is missing")
        }
        guard let table = loads.fileOffset(of: strtab), strsz <= table.available else {
            throw .badDynamic("string table at address \(strtab) of \(strsz) bytes is not loaded from the file")
        }
        let strings = ELFStringTable(source: source, range: try ELFFileRange.check(offset: table.offset, count: strsz, fileSize: source.size, what: "DT_STRTAB"))
        for offset in neededOffsets {
            let name = try strings.string(at: offset, tag: "DT_NEEDED")
            guard !name.isEmpty else { throw .badString("empty DT_NEEDED name") }
            needed.append(name)
        }
        if let offset = single[ELFConstant.dtSoname] { soname = try strings.string(at: offset, tag: "DT_SONAME") }
        if let offset = single[ELFConstant.dtRpath] { rpath = Self.split(try strings.string(at: offset, tag: "DT_RPATH")) }
        if let offset = single[ELFConstant.dtRunpath] { runpath = Self.split(try strings.string(at: offset, tag: "DT_RUNPATH")) }
    }

    /// Search lists split on ':'; empty elements are kept because ld.so reads them as ".".
    static func split(_ list: String) -> [String] {
        list.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    }
}

/// NUL-terminated strings inside the validated DT_STRTAB range.
struct ELFStringTable<Source: ELFByteSource> {
    let source: Source
    let range: (offset: Int, count: Int)

    func string(at index: UInt64, tag: String) throws(ELFError) -> String {
        guard let start = Int(exactly: index), start < range.count else {
            throw .badDynamic("\(tag) string at \(index) lies outside the \(range.count)-byte string table")
        }
        // Read one byte more than the longest accepted string so its NUL can be seen.
        let bytes = try source.read(at: range.offset + start, count: min(range.count - start, ELFLimits.maxStringLength + 1))
        guard let end = bytes.firstIndex(of: 0) else {
            throw .badString("\(tag) string at \(index) is not NUL-terminated within \(ELFLimits.maxStringLength) bytes")
        }
        return try ELFStrings.utf8(bytes[..<end], what: tag)
    }
}

enum ELFStrings {
    /// Paths are compared and resolved as text; bytes that are not UTF-8 would be altered by
    /// repair, so they are refused instead.
    static func utf8(_ bytes: ArraySlice<UInt8>, what: String) throws(ELFError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .badString("\(what) is not valid UTF-8") }
        return text
    }
}
