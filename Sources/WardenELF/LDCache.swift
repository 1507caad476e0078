/// glibc's /etc/ld.so.cache (the format ldconfig writes, glibc's sysdeps/generic/dl-cache.h):
/// which file ld.so loads for a library name before it tries its default directories.
///
/// Only the "glibc-ld.so.cache" "1.1" format is read, standalone or hidden after an old
/// "ld.so-1.7.0" table. Only entries ld.so would accept on this host are kept (flags
/// `ELFHost.cacheFlags`: ELF libc6 for x86-64 or AArch64 lib64).
public struct LDCache: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// The name DT_NEEDED asks for (the library's soname), e.g. "libc.so.6".
        public let name: String
        /// Where ldconfig found it.
        public let path: String
        /// 0 for the baseline library; otherwise a glibc-hwcaps (bit 62) or legacy hwcap
        /// variant that ld.so prefers on a CPU that has the capability.
        public let hwcap: UInt64
    }

    public static let defaultPath = "/etc/ld.so.cache"

    /// The host's entries in file order (ldconfig sorts them by name).
    public let entries: [Entry]
    private let index: [String: [Int]]

    private static let newMagic = Array("glibc-ld.so.cache1.1".utf8)
    private static let oldMagic = Array("ld.so-1.7.0".utf8)
    private static let headerSize = 48  // magic, version, nlibs, len_strings, flags, pad, extension_offset, unused[3]
    private static let entrySize = 24   // flags, key, value, osversion, hwcap

    /// Reads the cache at `path`, refusing one larger than `ELFLimits.maxCacheSize`.
    public init(path: String = LDCache.defaultPath) throws(ELFError) {
        let source = try ELFFileSource(path: path)
        guard source.size <= ELFLimits.maxCacheSize else { throw .tooLarge("\(path) is \(source.size) bytes, more than \(ELFLimits.maxCacheSize)") }
        try self.init(bytes: source.read(at: 0, count: source.size))
    }

    public init(bytes: [UInt8]) throws(ELFError) {
        guard bytes.count <= ELFLimits.maxCacheSize else { throw .tooLarge("cache of \(bytes.count) bytes, more than \(ELFLimits.maxCacheSize)") }
        let data = ELFDecoder(bytes: bytes, bigEndian: ELFHost.endianness == .big, wordSize: 8)
        let base = try Self.newFormatOffset(bytes, data)
        guard bytes.count - base >= Self.headerSize else { throw .truncated("cache header needs \(Self.headerSize) bytes at \(base)") }

        // flags & 3: 0 unset (older ldconfig, host order), 1 invalid, 2 little, 3 big endian.
        switch try data.u8(base + 28) & 3 {
        case 0: break
        case 2 where ELFHost.endianness == .little, 3 where ELFHost.endianness == .big: break
        case let order: throw .unsupported("cache byte-order flag \(order) is not this host's")
        }
        let nlibs = try data.u32(base + 20)
        guard nlibs <= UInt32(ELFLimits.maxCacheEntries) else { throw .tooLarge("cache lists \(nlibs) libraries, more than \(ELFLimits.maxCacheEntries)") }
        let count = Int(nlibs)
        let first = base + Self.headerSize
        guard count <= (bytes.count - first) / Self.entrySize else { throw .truncated("cache lists \(count) libraries but the file ends first") }

        var entries: [Entry] = []
        var index: [String: [Int]] = [:]
        // Entries may share string bytes (ldconfig merges suffixes), so the strings kept are
        // capped separately from the file's size.
        var kept = 0
        for i in 0..<count {
            let at = first + i * Self.entrySize
            guard Int32(bitPattern: try data.u32(at)) == ELFHost.cacheFlags else { continue }
            // Key and value are offsets from the start of the new-format header (the file's
            // start unless an old-format table precedes it), as ld.so reads them.
            let name = try Self.string(bytes, base: base, offset: try data.u32(at + 4), what: "cache entry \(i) name")
            let path = try Self.string(bytes, base: base, offset: try data.u32(at + 8), what: "cache entry \(i) path")
            kept += name.utf8.count + path.utf8.count
            guard kept <= ELFLimits.maxCacheSize else { throw .tooLarge("cache strings exceed \(ELFLimits.maxCacheSize) bytes") }
            index[name, default: []].append(entries.count)
            entries.append(Entry(name: name, path: path, hwcap: try data.u64(at + 16)))
        }
        self.entries = entries
        self.index = index
    }

    /// Every cached path for `name`: the baseline entry first (what ld.so loads when no hwcap
    /// variant applies), then hwcap variants in file order.
    public func paths(for name: String) -> [String] {
        let matches = (index[name] ?? []).map { entries[$0] }
        return matches.filter { $0.hwcap == 0 }.map(\.path) + matches.filter { $0.hwcap != 0 }.map(\.path)
    }

    /// Where the new-format header starts: 0, or after the old format's entries rounded up to
    /// 8 (the alignment of the new header).
    private static func newFormatOffset(_ bytes: [UInt8], _ data: ELFDecoder) throws(ELFError) -> Int {
        if bytes.starts(with: newMagic) { return 0 }
        guard bytes.starts(with: oldMagic) else {
            if bytes.count < newMagic.count, newMagic.starts(with: bytes) || oldMagic.starts(with: bytes) {
                throw .truncated("cache of \(bytes.count) bytes ends inside its magic")
            }
            throw ELFError(code: "ldcache.bad_magic", message: "not a glibc ld.so.cache")
        }
        let oldLibs = try data.u32(12)
        guard let oldCount = Int(exactly: oldLibs), oldCount <= (bytes.count - 16) / 12 else {
            throw .truncated("old-format cache lists \(oldLibs) libraries but the file ends first")
        }
        let base = (16 + oldCount * 12 + 7) & ~7
        guard base <= bytes.count, bytes[base...].starts(with: newMagic) else {
            throw .unsupported("old-format (ld.so-1.7.0) cache without the glibc 1.1 table")
        }
        return base
    }

    private static func string(_ bytes: [UInt8], base: Int, offset: UInt32, what: String) throws(ELFError) -> String {
        guard let relative = Int(exactly: offset), relative < bytes.count - base else {
            throw .badOffset("\(what) at \(offset) lies past the end of the cache")
        }
        let start = base + relative
        let window = bytes[start..<min(bytes.count, start + ELFLimits.maxStringLength + 1)]
        guard let end = window.firstIndex(of: 0), end > start else {
            throw .badString("\(what) at \(offset) is empty or not NUL-terminated within \(ELFLimits.maxStringLength) bytes")
        }
        return try ELFStrings.utf8(bytes[start..<end], what: what)
    }
}
