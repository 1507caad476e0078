@testable import WardenNet

/// Hand-assembles DNS messages for the tests, remembering where each name starts so that
/// compression pointers can be written the way real servers write them.
struct DNSTestMessage {
    var bytes: [UInt8] = []

    init(id: UInt16 = 0x1234, flags: UInt16, questions: UInt16 = 1, answers: UInt16 = 0,
         authorities: UInt16 = 0, additionals: UInt16 = 0) {
        for word in [id, flags, questions, answers, authorities, additionals] { u16(word) }
    }

    var offset: Int { bytes.count }

    mutating func u16(_ value: UInt16) { bytes += [UInt8(value >> 8), UInt8(value & 0xFF)] }
    mutating func u32(_ value: UInt32) { u16(UInt16(value >> 16)); u16(UInt16(value & 0xFFFF)) }

    /// Labels of `name` (no terminator), then either a pointer to `suffix` or the root label.
    /// Returns the offset the name starts at.
    @discardableResult
    mutating func name(_ name: String, then suffix: Int? = nil) -> Int {
        let start = offset
        for label in name.split(separator: ".") {
            bytes.append(UInt8(label.utf8.count))
            bytes += Array(label.utf8)
        }
        if let suffix { pointer(suffix) } else { bytes.append(0) }
        return start
    }

    mutating func pointer(_ target: Int) { u16(0xC000 | UInt16(target)) }

    mutating func question(type: UInt16, qclass: UInt16 = 1) { u16(type); u16(qclass) }

    /// Type, class, TTL and RDATA after an owner name already written.
    mutating func record(type: UInt16, qclass: UInt16 = 1, ttl: UInt32, data: [UInt8]) {
        u16(type); u16(qclass); u32(ttl); u16(UInt16(data.count)); bytes += data
    }

    /// A CNAME's fixed part with RDATA written by `target` (which may use pointers); the
    /// RDLENGTH is filled in afterwards. Returns the RDATA's offset.
    @discardableResult
    mutating func cname(ttl: UInt32, target: (inout DNSTestMessage) -> Void) -> Int {
        u16(DNSMessage.typeCNAME); u16(1); u32(ttl)
        let lengthAt = offset
        u16(0)
        let start = offset
        target(&self)
        let length = offset - start
        bytes[lengthAt] = UInt8(length >> 8)
        bytes[lengthAt + 1] = UInt8(length & 0xFF)
        return start
    }

    /// An OPT record (EDNS) with a UDP size and raw option bytes.
    mutating func opt(udpSize: UInt16 = 1232, options: [UInt8] = []) {
        bytes.append(0)
        record(type: 41, qclass: udpSize, ttl: 0, data: options)
    }
}
