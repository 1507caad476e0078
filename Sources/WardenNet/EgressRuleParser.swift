/// The grammar of `EgressRule`: `CIDR[:PORTS][/PROTO]` or `HOST[:PORTS][/PROTO]`.
/// PORTS: `443`, `8000-8100`, `80,443,8000-8100`. IPv6 with ports is bracketed:
/// `[2606:50c0::]/32:443`, `[2001:db8::1]:22`, `[2001:db8::/32]:443`.
enum EgressRuleParser {
    static let maxLength = 300

    static func parse(_ text: String) throws(EgressRuleError) -> EgressRule {
        let chars = Array(text.unicodeScalars)
        guard !chars.isEmpty else { throw EgressRuleError("empty rule", offset: 0) }
        guard chars.count <= maxLength else { throw EgressRuleError("rule longer than \(maxLength) characters", offset: maxLength) }
        if let bad = chars.firstIndex(where: { !$0.isASCII }) {
            throw EgressRuleError("internationalized names must be given in punycode (xn--…)", offset: bad)
        }
        var s = String(text)
        var proto = EgressRule.Proto.tcp
        let lower = s.lowercased()
        if lower.hasSuffix("/udp") { proto = .udp; s.removeLast(4) } else if lower.hasSuffix("/tcp") { s.removeLast(4) }
        guard !s.isEmpty else { throw EgressRuleError("missing address or host before the protocol", offset: 0) }
        let b = Array(s.utf8)

        // Bracketed IPv6: "[addr]/p:ports", "[addr/p]:ports", "[addr]:ports".
        if b[0] == UInt8(ascii: "[") {
            guard let close = b.firstIndex(of: UInt8(ascii: "]")) else { throw EgressRuleError("missing ]", offset: b.count) }
            var inside = String(decoding: b[1..<close], as: UTF8.self)
            var rest = Array(b[(close + 1)...])
            var restOffset = close + 1
            var prefixText: (String, Int)?
            if let slash = inside.firstIndex(of: "/") {
                prefixText = (String(inside[inside.index(after: slash)...]), 1 + inside.distance(from: inside.startIndex, to: slash) + 1)
                inside = String(inside[..<slash])
            }
            if rest.first == UInt8(ascii: "/") {
                guard prefixText == nil else { throw EgressRuleError("two prefix lengths", offset: restOffset) }
                let end = rest.firstIndex(of: UInt8(ascii: ":")) ?? rest.count
                prefixText = (String(decoding: rest[1..<end], as: UTF8.self), restOffset + 1)
                rest = Array(rest[end...])
                restOffset += end
            }
            guard inside.contains(":") else { throw EgressRuleError("brackets are only for IPv6 addresses", offset: 1) }
            let address = try ipv6(inside, offset: 1)
            let prefix = try prefixText.map { t throws(EgressRuleError) in try decimal(t.0, max: 128, what: "prefix length", offset: t.1) } ?? 128
            var ports: [ClosedRange<UInt16>] = []
            if !rest.isEmpty {
                guard rest[0] == UInt8(ascii: ":") else { throw EgressRuleError("expected :PORTS after ]", offset: restOffset) }
                ports = try parsePorts(String(decoding: rest[1...], as: UTF8.self), offset: restOffset + 1)
            }
            return try cidr(address, prefix, ports, proto)
        }

        let colons = b.filter { $0 == UInt8(ascii: ":") }.count
        if colons >= 2 {
            // Bare IPv6: a prefix, never a port.
            var addrText = s
            var prefix = 128
            if let slash = s.firstIndex(of: "/") {
                let after = String(s[s.index(after: slash)...])
                let at = s.distance(from: s.startIndex, to: slash) + 1
                if after.contains(":") { throw EgressRuleError("bracket IPv6 addresses to give a port, e.g. [2001:db8::]/32:443", offset: at) }
                prefix = try decimal(after, max: 128, what: "prefix length", offset: at)
                addrText = String(s[..<slash])
            }
            return try cidr(try ipv6(addrText, offset: 0), prefix, [], proto)
        }

        var head = s
        var ports: [ClosedRange<UInt16>] = []
        if let colon = s.firstIndex(of: ":") {
            let at = s.distance(from: s.startIndex, to: colon) + 1
            ports = try parsePorts(String(s[s.index(after: colon)...]), offset: at)
            head = String(s[..<colon])
        }
        guard !head.isEmpty else { throw EgressRuleError("missing address or host", offset: 0) }
        // IPv4 (with an optional prefix) when it looks numeric; a hostname otherwise.
        var addrText = head
        var prefixText: (String, Int)?
        if let slash = head.firstIndex(of: "/") {
            prefixText = (String(head[head.index(after: slash)...]), head.distance(from: head.startIndex, to: slash) + 1)
            addrText = String(head[..<slash])
        }
        let numeric = addrText.allSatisfy { $0 == "." || ($0.isASCII && $0.isNumber) }
        if numeric || prefixText != nil {
            let address = try ipv4(addrText)
            let prefix = try prefixText.map { t throws(EgressRuleError) in try decimal(t.0, max: 32, what: "prefix length", offset: t.1) } ?? 32
            return try cidr(address, prefix, ports, proto)
        }
        return EgressRule(target: .host(try hostname(addrText)), ports: ports, proto: proto)
    }

    static func cidr(_ address: [UInt8], _ prefix: Int, _ ports: [ClosedRange<UInt16>],
                     _ proto: EgressRule.Proto) throws(EgressRuleError) -> EgressRule {
        let bits = address.count * 8
        guard prefix <= bits else { throw EgressRuleError("prefix length \(prefix) exceeds \(bits)", offset: 0) }
        for i in prefix..<bits where address[i / 8] & (0x80 >> UInt8(i % 8)) != 0 {
            throw EgressRuleError("host bits are set below /\(prefix); write the network address", offset: 0)
        }
        return EgressRule(target: .cidr(address: address, prefix: prefix), ports: ports, proto: proto)
    }

    static func decimal(_ s: String, max: Int, what: String, offset: Int) throws(EgressRuleError) -> Int {
        guard !s.isEmpty, s.count <= 5, s.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw EgressRuleError("invalid \(what) \"\(s.prefix(16))\"", offset: offset)
        }
        guard !(s.count > 1 && s.hasPrefix("0")) else { throw EgressRuleError("\(what) \"\(s)\" has a leading zero", offset: offset) }
        guard let v = Int(s), v <= max else { throw EgressRuleError("\(what) \(s) exceeds \(max)", offset: offset) }
        return v
    }

    static func parsePorts(_ s: String, offset: Int) throws(EgressRuleError) -> [ClosedRange<UInt16>] {
        guard !s.isEmpty else { throw EgressRuleError("empty port list after ':'", offset: offset) }
        var out: [ClosedRange<UInt16>] = []
        var at = offset
        for item in s.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else { throw EgressRuleError("empty item in the port list", offset: at) }
            let parts = item.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw EgressRuleError("invalid port range \"\(item)\"", offset: at) }
            let lo = try port(String(parts[0]), offset: at)
            let hi = parts.count == 2 ? try port(String(parts[1]), offset: at + parts[0].count + 1) : lo
            guard lo <= hi else { throw EgressRuleError("port range \(lo)-\(hi) is reversed", offset: at) }
            out.append(lo...hi)
            at += item.count + 1
        }
        return merge(out)
    }

    static func port(_ s: String, offset: Int) throws(EgressRuleError) -> UInt16 {
        let v = try decimal(s, max: 65535, what: "port", offset: offset)
        guard v > 0 else { throw EgressRuleError("port 0 is not a port", offset: offset) }
        return UInt16(v)
    }

    /// Sorted, overlapping and adjacent ranges joined.
    static func merge(_ ranges: [ClosedRange<UInt16>]) -> [ClosedRange<UInt16>] {
        var out: [ClosedRange<UInt16>] = []
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, Int(r.lowerBound) <= Int(last.upperBound) + 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }

    static func ipv4(_ s: String) throws(EgressRuleError) -> [UInt8] {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { throw EgressRuleError("\"\(s.prefix(40))\" is not an IPv4 address (a.b.c.d)", offset: 0) }
        var out: [UInt8] = []
        var at = 0
        for part in parts {
            out.append(UInt8(try decimal(String(part), max: 255, what: "IPv4 octet", offset: at)))
            at += part.count + 1
        }
        return out
    }

    /// RFC 4291 text form without embedded IPv4 or zones.
    static func ipv6(_ s: String, offset: Int) throws(EgressRuleError) -> [UInt8] {
        guard !s.contains("%") else { throw EgressRuleError("zone ids are not accepted", offset: offset) }
        guard !s.contains(".") else { throw EgressRuleError("embedded IPv4 in IPv6 is not accepted; use the hex form", offset: offset) }
        guard s.allSatisfy({ $0.isHexDigit || $0 == ":" }) else { throw EgressRuleError("invalid IPv6 address \"\(s.prefix(40))\"", offset: offset) }
        let halves = splitDoubleColon(s)
        guard halves.count <= 2 else { throw EgressRuleError("'::' may appear once", offset: offset) }
        guard !s.contains(":::") else { throw EgressRuleError("invalid IPv6 address \"\(s.prefix(40))\"", offset: offset) }
        func groups(_ t: String) throws(EgressRuleError) -> [UInt16] {
            guard !t.isEmpty else { return [] }
            var out: [UInt16] = []
            for g in t.split(separator: ":", omittingEmptySubsequences: false) {
                guard !g.isEmpty, g.count <= 4, let v = UInt16(g, radix: 16) else {
                    throw EgressRuleError("invalid IPv6 group \"\(g)\"", offset: offset)
                }
                out.append(v)
            }
            return out
        }
        let head = try groups(halves[0])
        let tail = halves.count == 2 ? try groups(halves[1]) : []
        let all: [UInt16]
        if halves.count == 2 {
            guard head.count + tail.count <= 7 else { throw EgressRuleError("too many IPv6 groups", offset: offset) }
            all = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard head.count == 8 else { throw EgressRuleError("an IPv6 address has 8 groups (or ::)", offset: offset) }
            all = head
        }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }

    static func splitDoubleColon(_ s: String) -> [String] {
        var parts: [String] = [], current = "", previousColon = false
        for c in s {
            if c == ":" && previousColon {
                current.removeLast()
                parts.append(current)
                current = ""
                previousColon = false
                continue
            }
            current.append(c)
            previousColon = c == ":"
        }
        parts.append(current)
        return parts
    }

    static func hostname(_ raw: String) throws(EgressRuleError) -> String {
        var name = raw.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty else { throw EgressRuleError("empty host name", offset: 0) }
        guard name.utf8.count <= 253 else { throw EgressRuleError("host name longer than 253 characters", offset: 253) }
        var at = 0
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for (i, label) in labels.enumerated() {
            if label == "*" {
                guard i == 0 else { throw EgressRuleError("'*' is allowed only as the whole first label (*.example.com)", offset: at) }
                guard labels.count >= 2 else {
                    throw EgressRuleError("'*' needs a domain below it", offset: at)
                }
                at += 2
                continue
            }
            guard !label.isEmpty else { throw EgressRuleError("empty label in host name", offset: at) }
            guard label.count <= 63 else { throw EgressRuleError("label longer than 63 characters", offset: at) }
            if let bad = label.firstIndex(where: { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-")) }) {
                let c = label[bad]
                throw EgressRuleError(c == "*" ? "'*' is allowed only as the whole first label (*.example.com)"
                                               : "invalid character '\(c)' in host name", offset: at + label.distance(from: label.startIndex, to: bad))
            }
            guard !label.hasPrefix("-"), !label.hasSuffix("-") else {
                throw EgressRuleError("a label may not start or end with '-'", offset: at)
            }
            at += label.count + 1
        }
        if labels.last.map({ $0.allSatisfy { $0.isNumber } }) == true {
            throw EgressRuleError("\"\(raw.prefix(40))\" is neither an IPv4 address nor a host name", offset: 0)
        }
        return name
    }
}
