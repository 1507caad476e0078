/// Bounds-checked big-endian reads and writes for DNS messages. Every read that would run past
/// the end throws instead of trapping.
enum DNSWire {
    /// RFC 1035 §4.1.1: the fixed header.
    static let headerLength = 12
    /// The largest message any transport carries (TCP's 16-bit length prefix).
    static let maxMessageLength = 65535

    static func u16(_ bytes: [UInt8], _ at: Int, _ what: String) throws(DNSError) -> UInt16 {
        guard at >= 0, at <= bytes.count - 2 else { throw DNSError("message ends inside \(what)") }
        return UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1])
    }

    static func u32(_ bytes: [UInt8], _ at: Int, _ what: String) throws(DNSError) -> UInt32 {
        guard at >= 0, at <= bytes.count - 4 else { throw DNSError("message ends inside \(what)") }
        return UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }

    static func append(_ value: UInt16, to out: inout [UInt8]) {
        out.append(UInt8(value >> 8))
        out.append(UInt8(truncatingIfNeeded: value))
    }

    static func append(_ value: UInt32, to out: inout [UInt8]) {
        append(UInt16(value >> 16), to: &out)
        append(UInt16(truncatingIfNeeded: value), to: &out)
    }
}

/// The fixed 12-byte header (RFC 1035 §4.1.1).
struct DNSHeader {
    var id: UInt16
    var flags: UInt16
    var questions: UInt16
    var answers: UInt16
    var authorities: UInt16
    var additionals: UInt16

    var isResponse: Bool { flags & 0x8000 != 0 }
    var opcode: UInt16 { (flags >> 11) & 0xF }
    var truncated: Bool { flags & 0x0200 != 0 }
    var rcode: UInt8 { UInt8(flags & 0xF) }

    /// Reads the header, refusing messages shorter than it or longer than any transport allows.
    init(_ bytes: [UInt8]) throws(DNSError) {
        guard bytes.count >= DNSWire.headerLength else {
            throw DNSError("message of \(bytes.count) bytes is shorter than a DNS header")
        }
        guard bytes.count <= DNSWire.maxMessageLength else { throw DNSError("message longer than 65535 bytes") }
        id = try DNSWire.u16(bytes, 0, "the header")
        flags = try DNSWire.u16(bytes, 2, "the header")
        questions = try DNSWire.u16(bytes, 4, "the header")
        answers = try DNSWire.u16(bytes, 6, "the header")
        authorities = try DNSWire.u16(bytes, 8, "the header")
        additionals = try DNSWire.u16(bytes, 10, "the header")
    }
}
