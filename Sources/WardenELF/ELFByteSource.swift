/// Random access to the bytes of a file that is being parsed. Implementations return exactly
/// `count` bytes or throw; they never return a short read.
public protocol ELFByteSource {
    /// Bytes available.
    var size: Int { get }
    /// `count` bytes from `offset`. Throws `elf.bad_offset` for a negative or wrapping range,
    /// `elf.truncated` for one that ends past `size`, `elf.too_large` beyond `ELFLimits.maxRead`.
    func read(at offset: Int, count: Int) throws(ELFError) -> [UInt8]
}

extension ELFByteSource {
    /// The checks every source makes before reading, so a range is validated in one place.
    static func validate(offset: Int, count: Int, size: Int) throws(ELFError) {
        guard offset >= 0, count >= 0 else { throw .badOffset("negative read at \(offset) of \(count) bytes") }
        guard count <= ELFLimits.maxRead else { throw .tooLarge("read of \(count) bytes exceeds \(ELFLimits.maxRead)") }
        let (end, overflow) = offset.addingReportingOverflow(count)
        guard !overflow else { throw .badOffset("read at \(offset) of \(count) bytes wraps") }
        guard end <= size else { throw .truncated("read at \(offset) of \(count) bytes past the end (\(size) bytes)") }
    }
}

/// Bytes already in memory (tests, the fuzzer, a file read by the caller).
public struct ELFBytes: ELFByteSource, Sendable {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var size: Int { bytes.count }

    public func read(at offset: Int, count: Int) throws(ELFError) -> [UInt8] {
        try Self.validate(offset: offset, count: count, size: bytes.count)
        return Array(bytes[offset..<(offset + count)])
    }
}
