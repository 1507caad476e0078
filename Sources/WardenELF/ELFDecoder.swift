/// Bounds-checked, endian-aware integer reads from a buffer: every read that would go past
/// the end throws instead of trapping.
struct ELFDecoder {
    let bytes: [UInt8]
    let bigEndian: Bool
    /// Width of an address or offset field: 8 for ELF64, 4 for ELF32.
    let wordSize: Int

    func u8(_ at: Int) throws(ELFError) -> UInt8 {
        guard at >= 0, at < bytes.count else { throw .truncated("byte \(at) past the end of a \(bytes.count)-byte field") }
        return bytes[at]
    }

    func u16(_ at: Int) throws(ELFError) -> UInt16 { UInt16(truncatingIfNeeded: try unsigned(at, width: 2)) }
    func u32(_ at: Int) throws(ELFError) -> UInt32 { UInt32(truncatingIfNeeded: try unsigned(at, width: 4)) }
    func u64(_ at: Int) throws(ELFError) -> UInt64 { try unsigned(at, width: 8) }

    /// An address, offset or size: 32 bits in ELF32, 64 in ELF64, widened to UInt64.
    func word(_ at: Int) throws(ELFError) -> UInt64 { try unsigned(at, width: wordSize) }

    private func unsigned(_ at: Int, width: Int) throws(ELFError) -> UInt64 {
        guard at >= 0, width <= bytes.count, at <= bytes.count - width else {
            throw .truncated("\(width)-byte field at \(at) past the end of \(bytes.count) bytes")
        }
        var value: UInt64 = 0
        for i in 0..<width {
            let byte = UInt64(bytes[at + (bigEndian ? i : width - 1 - i)])
            value = (value << 8) | byte
        }
        return value
    }
}
