/// Checks and normalizes a ClientHello's host_name (RFC 6066 §3): ASCII letters, digits and
/// hyphens (LDH; A-labels carry internationalized names), labels of 1–63 octets that neither
/// start nor end with a hyphen, at most 253 octets once one trailing dot is dropped. Returned
/// lowercase; nil when invalid.
enum TLSServerName {
    static func normalize(_ raw: [UInt8]) -> String? {
        var name = raw
        if name.last == UInt8(ascii: ".") { name.removeLast() }
        guard !name.isEmpty, name.count <= 253 else { return nil }
        var labelLength = 0
        var previous: UInt8 = UInt8(ascii: ".")
        for i in name.indices {
            let byte = name[i]
            switch byte {
            case UInt8(ascii: "."):
                guard labelLength > 0, previous != UInt8(ascii: "-") else { return nil }
                labelLength = 0
            case UInt8(ascii: "-"):
                guard labelLength > 0 else { return nil }
                labelLength += 1
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                labelLength += 1
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                name[i] = byte | 0x20
                labelLength += 1
            default:
                return nil
            }
            guard labelLength <= 63 else { return nil }
            previous = byte
        }
        guard labelLength > 0, previous != UInt8(ascii: "-") else { return nil }
        return String(decoding: name, as: UTF8.self)
    }
}
