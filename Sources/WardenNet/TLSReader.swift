/// Why a ClientHello was refused; `TLSClientHello.peek` reports it as `.malformed`.
struct TLSParseError: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

/// A bounds-checked cursor over a window of bytes, for TLS's length-prefixed vectors. Reads
/// past the window throw; sub-readers share the buffer (no copies).
struct TLSReader {
    private let bytes: [UInt8]
    private(set) var position: Int
    let end: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        position = 0
        end = bytes.count
    }

    private init(_ bytes: [UInt8], from: Int, to: Int) {
        self.bytes = bytes
        position = from
        end = to
    }

    var remaining: Int { end - position }
    var isEmpty: Bool { position >= end }

    mutating func u8(_ what: String) throws(TLSParseError) -> Int {
        guard remaining >= 1 else { throw TLSParseError("\(what) runs past its container") }
        defer { position += 1 }
        return Int(bytes[position])
    }

    mutating func u16(_ what: String) throws(TLSParseError) -> Int {
        guard remaining >= 2 else { throw TLSParseError("\(what) runs past its container") }
        defer { position += 2 }
        return Int(bytes[position]) << 8 | Int(bytes[position + 1])
    }

    /// The next `count` bytes as their own reader.
    mutating func take(_ count: Int, _ what: String) throws(TLSParseError) -> TLSReader {
        guard count >= 0, count <= remaining else { throw TLSParseError("\(what) (\(count) bytes) runs past its container") }
        defer { position += count }
        return TLSReader(bytes, from: position, to: position + count)
    }

    /// A vector with a 1- or 2-byte length prefix.
    mutating func vector(prefix: Int, _ what: String) throws(TLSParseError) -> TLSReader {
        let count = prefix == 1 ? try u8(what) : try u16(what)
        return try take(count, what)
    }

    /// The rest of the window as an array (bounded by the window, never by a length field).
    func rest() -> [UInt8] { Array(bytes[position..<end]) }
}
