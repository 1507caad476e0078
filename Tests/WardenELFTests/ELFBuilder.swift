@testable import WardenELF

/// Writes small, valid ELF images for the tests: one PT_LOAD covering the whole file, then
/// optional PT_INTERP, PT_DYNAMIC (with its string table) and PT_GNU_STACK. `Layout` tells a
/// test where each field landed so it can corrupt exactly one.
struct ELFBuilder {
    var is64 = true
    var bigEndian = false
    var machine: UInt16 = ELFHost.machine
    var type: UInt16 = 3
    var osABI: UInt8 = 0
    var interpreter: String?
    var needed: [String] = []
    var runpath: String?
    var rpath: String?
    var soname: String?
    /// p_flags of PT_GNU_STACK (6 = RW); nil leaves the header out.
    var gnuStackFlags: UInt32? = 6
    var textrel = false
    var dtFlags: UInt64?
    var dtFlags1: UInt64?
    /// Emit PT_DYNAMIC even with nothing in it (a static PIE has one).
    var forceDynamic = false

    static let pfR: UInt32 = 4, pfW: UInt32 = 2, pfX: UInt32 = 1

    struct Layout {
        var bytes: [UInt8]
        let is64: Bool
        let bigEndian: Bool
        let phoff: Int
        /// Program header index of each type present.
        let loadIndex: Int
        let interpIndex: Int?
        let dynamicIndex: Int?
        let stackIndex: Int?
        let interpOffset: Int
        let dynstrOffset: Int
        let dynamicOffset: Int
        /// (d_tag, file offset of d_val) for every dynamic entry.
        let dynamicEntries: [(tag: UInt64, valueOffset: Int)]
        let baseAddress: UInt64

        var phentsize: Int { is64 ? 56 : 32 }
        var phoffField: Int { is64 ? 32 : 28 }
        var phentsizeField: Int { is64 ? 54 : 42 }
        var phnumField: Int { is64 ? 56 : 44 }
        func phdr(_ i: Int) -> Int { phoff + i * phentsize }
        func pOffsetField(_ i: Int) -> Int { phdr(i) + (is64 ? 8 : 4) }
        func pVaddrField(_ i: Int) -> Int { phdr(i) + (is64 ? 16 : 8) }
        func pFileszField(_ i: Int) -> Int { phdr(i) + (is64 ? 32 : 16) }
        func pMemszField(_ i: Int) -> Int { phdr(i) + (is64 ? 40 : 20) }
        var wordSize: Int { is64 ? 8 : 4 }
        func valueField(_ tag: UInt64) -> Int? { dynamicEntries.first { $0.tag == tag }?.valueOffset }

        mutating func set(_ offset: Int, _ value: UInt64, width: Int) {
            ELFBuilder.put(&bytes, offset, value, width: width, bigEndian: bigEndian)
        }
        mutating func setWord(_ offset: Int, _ value: UInt64) { set(offset, value, width: wordSize) }
    }

    var hasDynamic: Bool {
        forceDynamic || !needed.isEmpty || runpath != nil || rpath != nil || soname != nil || textrel || dtFlags != nil || dtFlags1 != nil
    }

    func build() -> [UInt8] { layout().bytes }

    func layout() -> Layout {
        let headerSize = is64 ? 64 : 52, phentsize = is64 ? 56 : 32, word = is64 ? 8 : 4
        let base: UInt64 = is64 ? 0x40_0000 : 0x804_8000
        var types: [UInt32] = [ELFConstant.ptLoad]
        if interpreter != nil { types.append(ELFConstant.ptInterp) }
        if hasDynamic { types.append(ELFConstant.ptDynamic) }
        if gnuStackFlags != nil { types.append(ELFConstant.ptGNUStack) }

        let phoff = headerSize
        let interpOffset = phoff + types.count * phentsize
        let interpBytes: [UInt8] = interpreter.map { Array($0.utf8) + [0] } ?? []
        let dynstrOffset = interpOffset + interpBytes.count
        var dynstr: [UInt8] = [0]
        func intern(_ s: String) -> UInt64 {
            let at = UInt64(dynstr.count)
            dynstr += Array(s.utf8) + [0]
            return at
        }
        var entries: [(UInt64, UInt64)] = []
        for name in needed { entries.append((ELFConstant.dtNeeded, intern(name))) }
        if let soname { entries.append((ELFConstant.dtSoname, intern(soname))) }
        if let rpath { entries.append((ELFConstant.dtRpath, intern(rpath))) }
        if let runpath { entries.append((ELFConstant.dtRunpath, intern(runpath))) }
        let dynamicOffset = (dynstrOffset + dynstr.count + 7) & ~7
        entries.append((ELFConstant.dtStrtab, base + UInt64(dynstrOffset)))
        entries.append((ELFConstant.dtStrsz, UInt64(dynstr.count)))
        if textrel { entries.append((ELFConstant.dtTextrel, 0)) }
        if let dtFlags { entries.append((ELFConstant.dtFlags, dtFlags)) }
        if let dtFlags1 { entries.append((ELFConstant.dtFlags1, dtFlags1)) }
        entries.append((ELFConstant.dtNull, 0))
        let dynamicSize = hasDynamic ? entries.count * 2 * word : 0
        let total = dynamicOffset + dynamicSize

        var bytes = [UInt8](repeating: 0, count: total)
        func put(_ at: Int, _ value: UInt64, _ width: Int) { Self.put(&bytes, at, value, width: width, bigEndian: bigEndian) }
        bytes.replaceSubrange(0..<4, with: ELFConstant.magic)
        bytes[4] = is64 ? 2 : 1
        bytes[5] = bigEndian ? 2 : 1
        bytes[6] = 1
        bytes[7] = osABI
        put(16, UInt64(type), 2)
        put(18, UInt64(machine), 2)
        put(20, 1, 4)
        put(24, base + UInt64(total), word)  // e_entry: unused by the parser
        put(is64 ? 32 : 28, UInt64(phoff), word)
        put(is64 ? 52 : 40, UInt64(headerSize), 2)
        put(is64 ? 54 : 42, UInt64(phentsize), 2)
        put(is64 ? 56 : 44, UInt64(types.count), 2)

        for (i, kind) in types.enumerated() {
            let (offset, size, flags): (Int, Int, UInt32) = switch kind {
            case ELFConstant.ptLoad: (0, total, Self.pfR | Self.pfX)
            case ELFConstant.ptInterp: (interpOffset, interpBytes.count, Self.pfR)
            case ELFConstant.ptDynamic: (dynamicOffset, dynamicSize, Self.pfR | Self.pfW)
            default: (0, 0, gnuStackFlags ?? 0)
            }
            let at = phoff + i * phentsize
            let vaddr = kind == ELFConstant.ptGNUStack ? 0 : base + UInt64(offset)
            put(at, UInt64(kind), 4)
            if is64 {
                put(at + 4, UInt64(flags), 4)
                put(at + 8, UInt64(offset), 8)
                put(at + 16, vaddr, 8)
                put(at + 24, vaddr, 8)
                put(at + 32, UInt64(size), 8)
                put(at + 40, UInt64(size), 8)
                put(at + 48, kind == ELFConstant.ptLoad ? 0x1000 : 1, 8)
            } else {
                put(at + 4, UInt64(offset), 4)
                put(at + 8, vaddr, 4)
                put(at + 12, vaddr, 4)
                put(at + 16, UInt64(size), 4)
                put(at + 20, UInt64(size), 4)
                put(at + 24, UInt64(flags), 4)
                put(at + 28, kind == ELFConstant.ptLoad ? 0x1000 : 1, 4)
            }
        }
        bytes.replaceSubrange(interpOffset..<(interpOffset + interpBytes.count), with: interpBytes)
        if hasDynamic {
            bytes.replaceSubrange(dynstrOffset..<(dynstrOffset + dynstr.count), with: dynstr)
        }
        var valueOffsets: [(tag: UInt64, valueOffset: Int)] = []
        if hasDynamic {
            for (i, (tag, value)) in entries.enumerated() {
                let at = dynamicOffset + i * 2 * word
                put(at, tag, word)
                put(at + word, value, word)
                valueOffsets.append((tag, at + word))
            }
        }
        return Layout(bytes: bytes, is64: is64, bigEndian: bigEndian, phoff: phoff, loadIndex: 0,
                      interpIndex: types.firstIndex(of: ELFConstant.ptInterp), dynamicIndex: types.firstIndex(of: ELFConstant.ptDynamic),
                      stackIndex: types.firstIndex(of: ELFConstant.ptGNUStack), interpOffset: interpOffset,
                      dynstrOffset: dynstrOffset, dynamicOffset: dynamicOffset, dynamicEntries: valueOffsets, baseAddress: base)
    }

    static func put(_ bytes: inout [UInt8], _ at: Int, _ value: UInt64, width: Int, bigEndian: Bool) {
        for i in 0..<width {
            let shift = UInt64(8 * (bigEndian ? width - 1 - i : i))
            bytes[at + i] = UInt8(truncatingIfNeeded: value >> shift)
        }
    }

    /// A typical dynamically linked program.
    static var program: ELFBuilder {
        var b = ELFBuilder()
        b.interpreter = "/lib64/ld-linux-x86-64.so.2"
        b.needed = ["libfoo.so.1", "libc.so.6"]
        b.runpath = "/opt/app/lib:$ORIGIN/../lib"
        return b
    }
}
