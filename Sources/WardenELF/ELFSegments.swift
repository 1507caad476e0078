/// One program header, widened to 64-bit fields whatever the class.
struct ELFSegment: Sendable {
    let type: UInt32
    let flags: UInt32
    let offset: UInt64
    let vaddr: UInt64
    let filesz: UInt64
    let memsz: UInt64

    /// Decodes entry `index` of a program header table already read into `table`.
    init(table: ELFDecoder, index: Int, is64: Bool) throws(ELFError) {
        let base = index * (is64 ? 56 : 32)  // index < maxProgramHeaders: cannot overflow
        type = try table.u32(base)
        if is64 {
            flags = try table.u32(base + 4)
            offset = try table.u64(base + 8)
            vaddr = try table.u64(base + 16)
            filesz = try table.u64(base + 32)
            memsz = try table.u64(base + 40)
        } else {
            offset = UInt64(try table.u32(base + 4))
            vaddr = UInt64(try table.u32(base + 8))
            filesz = UInt64(try table.u32(base + 16))
            memsz = UInt64(try table.u32(base + 20))
            flags = try table.u32(base + 24)
        }
    }
}

enum ELFFileRange {
    /// `count` bytes at `offset` as Ints, provided the whole range lies inside a file of
    /// `fileSize` bytes; a wrapping or out-of-file range throws.
    static func check(offset: UInt64, count: UInt64, fileSize: Int, what: String) throws(ELFError) -> (offset: Int, count: Int) {
        let (end, overflow) = offset.addingReportingOverflow(count)
        guard !overflow, let start = Int(exactly: offset), let length = Int(exactly: count), let last = Int(exactly: end) else {
            throw .badOffset("\(what) at offset \(offset) of \(count) bytes wraps")
        }
        guard last <= fileSize else {
            throw .badOffset("\(what) at offset \(offset) of \(count) bytes ends past the end of the file (\(fileSize) bytes)")
        }
        return (start, length)
    }
}

/// The PT_LOAD segments, validated, for translating the virtual addresses the dynamic section
/// uses (DT_STRTAB) into file offsets the way the loader's mappings would.
struct ELFLoadMap: Sendable {
    private let loads: [ELFSegment]

    /// Refuses a PT_LOAD whose file bytes lie outside the file, whose file size exceeds its
    /// memory size, whose address range wraps, or which overlaps another PT_LOAD: any of these
    /// would let the parser and the loader see different bytes at one address.
    init(segments: [ELFSegment], fileSize: Int) throws(ELFError) {
        let loads = segments.filter { $0.type == ELFConstant.ptLoad }
        for (i, load) in loads.enumerated() {
            _ = try ELFFileRange.check(offset: load.offset, count: load.filesz, fileSize: fileSize, what: "PT_LOAD \(i)")
            guard load.filesz <= load.memsz else {
                throw ELFError(code: "elf.bad_header", message: "PT_LOAD \(i) has p_filesz \(load.filesz) > p_memsz \(load.memsz)")
            }
            guard !load.vaddr.addingReportingOverflow(load.memsz).overflow else {
                throw .badOffset("PT_LOAD \(i) at address \(load.vaddr) of \(load.memsz) bytes wraps")
            }
        }
        let sorted = loads.sorted { $0.vaddr < $1.vaddr }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.vaddr + a.memsz > b.vaddr {
            throw .badOffset("PT_LOAD segments at \(a.vaddr) and \(b.vaddr) overlap")
        }
        self.loads = loads
    }

    /// The file offset of `address` and how many file-backed bytes follow it in its segment,
    /// or nil if no PT_LOAD maps it from the file.
    func fileOffset(of address: UInt64) -> (offset: UInt64, available: UInt64)? {
        for load in loads where address >= load.vaddr {
            let delta = address - load.vaddr
            if delta < load.filesz { return (load.offset + delta, load.filesz - delta) }  // validated above: no overflow
        }
        return nil
    }
}
