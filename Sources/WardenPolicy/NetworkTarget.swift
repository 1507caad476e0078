import Foundation

/// An egress allow entry: an IPv4 or IPv6 CIDR block with an optional TCP port.
/// Spellings: `140.82.112.0/20`, `140.82.112.0/20:443`, `10.0.0.1` (a /32),
/// `2001:db8::/32`, `[2001:db8::/32]:443`, `[2001:db8::1]:22`. Hostnames are refused.
/// Host bits below the prefix must be zero so each block has one spelling.
public struct NetworkTarget: Sendable, Hashable, CustomStringConvertible {
    /// 4 or 16 address bytes.
    public let address: [UInt8]
    public let prefixLength: Int
    public let port: UInt16?

    public var isIPv6: Bool { address.count == 16 }

    public init(parsing text: String) throws(PolicyFieldError) {
        guard !text.isEmpty, text.utf8.count <= 64 else { throw PolicyFieldError("expected CIDR[:port], got \"\(text.prefix(64))\"") }
        var body = Substring(text)
        var portText: Substring?
        if body.hasPrefix("[") {
            guard let close = body.firstIndex(of: "]") else { throw PolicyFieldError("\"\(text)\": missing ]") }
            let after = body[body.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw PolicyFieldError("\"\(text)\": expected :port after ]") }
                portText = after.dropFirst()
            }
            body = body[body.index(after: body.startIndex)..<close]
            guard body.contains(":") else { throw PolicyFieldError("\"\(text)\": brackets are only for IPv6") }
        } else if body.filter({ $0 == ":" }).count == 1 {
            // IPv4 with a port; unbracketed IPv6 has at least two colons and never a port.
            let colon = body.firstIndex(of: ":")!
            portText = body[body.index(after: colon)...]
            body = body[..<colon]
        }
        var prefix: Int?
        if let slash = body.firstIndex(of: "/") {
            prefix = try Self.decimal(body[body.index(after: slash)...], max: 128, what: "prefix length", in: text)
            body = body[..<slash]
        }
        if body.contains(":") {
            address = try Self.ipv6(String(body), in: text)
        } else {
            address = try Self.ipv4(body, in: text)
        }
        let bits = address.count * 8
        prefixLength = prefix ?? bits
        guard prefixLength <= bits else { throw PolicyFieldError("\"\(text)\": prefix length \(prefixLength) exceeds \(bits)") }
        if let portText {
            let p = try Self.decimal(portText, max: 65535, what: "port", in: text)
            guard p > 0 else { throw PolicyFieldError("\"\(text)\": port 0 is not a port") }
            port = UInt16(p)
        } else {
            port = nil
        }
        for i in 0..<bits where i >= prefixLength {
            if address[i / 8] & (0x80 >> UInt8(i % 8)) != 0 {
                throw PolicyFieldError("\"\(text)\": host bits are set below /\(prefixLength)")
            }
        }
    }

    private static func decimal(_ s: Substring, max: Int, what: String, in text: String) throws(PolicyFieldError) -> Int {
        guard !s.isEmpty, s.count <= 5, s.allSatisfy({ $0.isASCII && $0.isNumber }), !(s.count > 1 && s.hasPrefix("0")),
            let v = Int(s), v <= max
        else { throw PolicyFieldError("\"\(text)\": invalid \(what) \"\(s)\"") }
        return v
    }

    private static func ipv4(_ s: Substring, in text: String) throws(PolicyFieldError) -> [UInt8] {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { throw PolicyFieldError("\"\(text)\": expected an IPv4 or IPv6 address (hostnames are not allowed)") }
        var out: [UInt8] = []
        for part in parts { out.append(UInt8(try decimal(part, max: 255, what: "IPv4 octet", in: text))) }
        return out
    }

    private static func ipv6(_ s: String, in text: String) throws(PolicyFieldError) -> [UInt8] {
        guard s.allSatisfy({ $0.isHexDigit || $0 == ":" }) else {
            throw PolicyFieldError("\"\(text)\": invalid IPv6 address (embedded IPv4 and zones are not accepted)")
        }
        var storage = in6_addr()
        guard inet_pton(AF_INET6, s, &storage) == 1 else { throw PolicyFieldError("\"\(text)\": invalid IPv6 address") }
        return withUnsafeBytes(of: &storage) { Array($0) }
    }

    /// The normalized spelling.
    public var description: String {
        let addr: String
        if isIPv6 {
            var storage = in6_addr()
            withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: address) }
            var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            addr = inet_ntop(AF_INET6, &storage, &buf, socklen_t(buf.count)) != nil
                ? String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
        } else {
            addr = address.map(String.init).joined(separator: ".")
        }
        let cidr = "\(addr)/\(prefixLength)"
        guard let port else { return cidr }
        return isIPv6 ? "[\(cidr)]:\(port)" : "\(cidr):\(port)"
    }
}
