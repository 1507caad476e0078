/// Domain names on the wire (RFC 1035 §3.1, §4.1.4): reading with compression, writing
/// without. Bounded: a name is at most 255 octets uncompressed, a label at most 63, and a name
/// follows at most 32 compression pointers, each pointing before the segment that contains it.
enum DNSName {
    static let maxWireLength = 255
    static let maxTextLength = 253
    static let maxLabelLength = 63
    static let maxPointers = 32

    /// A name read from a message.
    struct Read {
        /// The name as lowercase text without a trailing dot ("" for the root), or nil when
        /// some label holds a byte outside visible ASCII (0x21–0x7E) or a '.', which text
        /// cannot carry unambiguously.
        var text: String?
        /// The offset just past the name where it was read (past its first pointer, if any).
        var end: Int
    }

    /// Reads the name at `start`. Throws on a name running past the message, a label type
    /// other than plain length (0b00) or pointer (0b11), a pointer into the header, a pointer
    /// not strictly before the segment it appears in (which also rules out loops), more than
    /// 32 pointers, or more than 255 octets uncompressed.
    static func read(_ bytes: [UInt8], at start: Int) throws(DNSError) -> Read {
        var position = start
        // Each pointer must target an offset before where the current run of labels began, so
        // successive targets strictly decrease and reading always terminates.
        var segmentStart = start
        var end: Int? = nil
        var pointers = 0
        var wireLength = 1  // the terminating root label
        var text: [UInt8] = []
        var representable = true
        while true {
            guard position >= 0, position < bytes.count else { throw DNSError("name runs past the end of the message") }
            let length = bytes[position]
            switch length >> 6 {
            case 0b00:
                if length == 0 {
                    let read = Read(text: representable ? String(decoding: text, as: UTF8.self) : nil,
                                    end: end ?? position + 1)
                    return read
                }
                let count = Int(length)
                guard position + count < bytes.count else { throw DNSError("label runs past the end of the message") }
                wireLength += 1 + count
                guard wireLength <= maxWireLength else { throw DNSError("name longer than 255 octets") }
                if representable {
                    if !text.isEmpty { text.append(UInt8(ascii: ".")) }
                    for byte in bytes[(position + 1)...(position + count)] {
                        guard byte >= 0x21, byte <= 0x7E, byte != UInt8(ascii: ".") else { representable = false; break }
                        text.append(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
                    }
                }
                position += 1 + count
            case 0b11:
                guard position + 1 < bytes.count else { throw DNSError("compression pointer runs past the end of the message") }
                let target = Int(length & 0x3F) << 8 | Int(bytes[position + 1])
                guard target >= DNSWire.headerLength else { throw DNSError("compression pointer into the header") }
                guard target < segmentStart else { throw DNSError("compression pointer does not point backwards") }
                pointers += 1
                guard pointers <= maxPointers else { throw DNSError("more than 32 compression pointers in a name") }
                if end == nil { end = position + 2 }
                position = target
                segmentStart = target
            default:
                // 0b01 (extended, RFC 6891) and 0b10 (reserved); a length byte of 64 is one.
                throw DNSError("label length \(length) (longer than 63, or an unsupported label type)")
            }
        }
    }

    /// Lowercases ASCII letters and drops one trailing dot.
    static func normalize(_ name: String) -> String {
        var bytes = Array(name.utf8)
        if bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
        for i in bytes.indices where bytes[i] >= 0x41 && bytes[i] <= 0x5A { bytes[i] |= 0x20 }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `name` uncompressed. Meant for names that came from `read` (always valid); for
    /// anything else it still writes a well-formed name rather than trap: empty labels are
    /// skipped, labels are cut to 63 octets and the name stops before 255.
    static func write(_ name: String, to out: inout [UInt8]) {
        var wireLength = 1
        for label in normalize(name).utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: true) {
            let count = min(label.count, maxLabelLength)
            guard wireLength + 1 + count <= maxWireLength else { break }
            out.append(UInt8(count))
            out.append(contentsOf: label.prefix(count))
            wireLength += 1 + count
        }
        out.append(0)
    }
}
