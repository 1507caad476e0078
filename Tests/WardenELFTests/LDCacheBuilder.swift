@testable import WardenELF

/// Writes ld.so.cache files in glibc's 1.1 format, optionally behind an old-format table.
struct LDCacheBuilder {
    struct Entry {
        var flags: Int32 = ELFHost.cacheFlags
        var name: String
        var path: String
        var hwcap: UInt64 = 0
    }

    var entries: [Entry] = []
    /// Old-format ("ld.so-1.7.0") entries to put first; nil writes the new format alone.
    var oldEntries: Int?
    var endianFlag: UInt8 = 2

    func build() -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ v: UInt32) { for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
        func u64(_ v: UInt64) { for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
        if let oldEntries {
            out += Array("ld.so-1.7.0".utf8) + [0]
            u32(UInt32(oldEntries))
            for _ in 0..<oldEntries { u32(1); u32(0); u32(0) }
            while out.count % 8 != 0 { out.append(0) }
        }
        let base = out.count
        let stringsStart = 48 + entries.count * 24
        var strings: [UInt8] = []
        func intern(_ s: String) -> UInt32 {
            let at = UInt32(stringsStart + strings.count)
            strings += Array(s.utf8) + [0]
            return at
        }
        let interned = entries.map { (intern($0.name), intern($0.path)) }
        out += Array("glibc-ld.so.cache1.1".utf8)
        u32(UInt32(entries.count))
        u32(UInt32(strings.count))
        out += [endianFlag, 0, 0, 0]
        u32(0)  // extension_offset
        u32(0); u32(0); u32(0)
        precondition(out.count == base + 48)
        for (entry, (key, value)) in zip(entries, interned) {
            u32(UInt32(bitPattern: entry.flags))
            u32(key)
            u32(value)
            u32(0)
            u64(entry.hwcap)
        }
        return out + strings
    }
}
