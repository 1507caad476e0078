/// A strict JSON parser (RFC 8259) for untrusted bytes: JWS headers and payloads, exported
/// ledgers. Stricter than Foundation on purpose: duplicate object keys, non-integer numbers,
/// invalid UTF-8, lone surrogates, trailing data and excessive nesting are all errors,
/// because two parsers that disagree on such inputs are how signature checks get bypassed.
public struct StrictJSONParser {
    /// Limits applied while parsing.
    public struct Limits: Sendable {
        public var maxDepth: Int
        public var maxBytes: Int
        public init(maxDepth: Int = 32, maxBytes: Int = 1 << 20) {
            self.maxDepth = maxDepth
            self.maxBytes = maxBytes
        }
    }

    /// Parses `bytes` as exactly one JSON value. Errors are `WardenError` with code `json.*`.
    public static func parse(_ bytes: some Collection<UInt8>, limits: Limits = Limits()) throws(WardenError) -> JSONValue {
        let buffer = Array(bytes)
        guard buffer.count <= limits.maxBytes else {
            throw .usage("json.too_large", "JSON document is \(buffer.count) bytes; the limit is \(limits.maxBytes)")
        }
        var parser = StrictJSONParser(bytes: buffer, maxDepth: limits.maxDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.position == buffer.count else {
            throw parser.error("json.trailing_data", "unexpected data after the JSON value")
        }
        return value
    }

    /// Parses UTF-8 text.
    public static func parse(_ text: String, limits: Limits = Limits()) throws(WardenError) -> JSONValue {
        try parse(Array(text.utf8), limits: limits)
    }

    private let bytes: [UInt8]
    private let maxDepth: Int
    private var position = 0

    private init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    private func error(_ code: String, _ what: String) -> WardenError {
        .usage(code, "invalid JSON at byte \(position): \(what)")
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func expect(_ literal: String, _ value: JSONValue) throws(WardenError) -> JSONValue {
        let lit = Array(literal.utf8)
        guard position + lit.count <= bytes.count, Array(bytes[position..<position + lit.count]) == lit else {
            throw error("json.syntax", "unexpected token")
        }
        position += lit.count
        return value
    }

    private mutating func parseValue(depth: Int) throws(WardenError) -> JSONValue {
        guard depth <= maxDepth else { throw error("json.too_deep", "nesting deeper than \(maxDepth)") }
        guard position < bytes.count else { throw error("json.syntax", "unexpected end of input") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .int(try parseInteger())
        default: throw error("json.syntax", "unexpected character")
        }
    }

    private mutating func parseObject(depth: Int) throws(WardenError) -> JSONValue {
        position += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw error("json.syntax", "expected a string key")
            }
            let keyStart = position
            let key = try parseString()
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                throw error("json.syntax", "expected ':'")
            }
            position += 1
            skipWhitespace()
            let value = try parseValue(depth: depth + 1)
            guard members.updateValue(value, forKey: key) == nil else {
                position = keyStart
                throw error("json.duplicate_key", "duplicate key \"\(key)\"")
            }
            skipWhitespace()
            guard position < bytes.count else { throw error("json.syntax", "unterminated object") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
            throw error("json.syntax", "expected ',' or '}'")
        }
    }

    private mutating func parseArray(depth: Int) throws(WardenError) -> JSONValue {
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard position < bytes.count else { throw error("json.syntax", "unterminated array") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
            throw error("json.syntax", "expected ',' or ']'")
        }
    }

    private mutating func parseInteger() throws(WardenError) -> Int64 {
        let start = position
        var negative = false
        if bytes[position] == UInt8(ascii: "-") { negative = true; position += 1 }
        guard position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) else {
            throw error("json.syntax", "expected a digit")
        }
        if bytes[position] == UInt8(ascii: "0"), position + 1 < bytes.count,
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position + 1])
        {
            throw error("json.syntax", "leading zero in number")
        }
        var magnitude: UInt64 = 0
        while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
            let digit = UInt64(bytes[position] - UInt8(ascii: "0"))
            let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (m2, o2) = m1.addingReportingOverflow(digit)
            guard !o1, !o2 else { position = start; throw error("json.number_range", "integer out of range") }
            magnitude = m2
            position += 1
        }
        if position < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[position]) {
            throw error("json.non_integer", "only integers are accepted")
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw error("json.number_range", "integer out of range") }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw error("json.number_range", "integer out of range") }
        return Int64(magnitude)
    }

    private mutating func hex4() throws(WardenError) -> UInt16 {
        guard position + 4 <= bytes.count else { throw error("json.bad_escape", "truncated \\u escape") }
        var v: UInt16 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw error("json.bad_escape", "bad hex digit in \\u escape")
            }
            v = v << 4 | UInt16(d)
            position += 1
        }
        return v
    }

    private mutating func parseString() throws(WardenError) -> String {
        position += 1  // opening quote
        var out: [UInt8] = []
        while true {
            guard position < bytes.count else { throw error("json.syntax", "unterminated string") }
            let c = bytes[position]
            if c == UInt8(ascii: "\"") {
                position += 1
                break
            }
            if c < 0x20 { throw error("json.control_char", "unescaped control character in string") }
            if c != UInt8(ascii: "\\") {
                out.append(c)
                position += 1
                continue
            }
            position += 1
            guard position < bytes.count else { throw error("json.bad_escape", "truncated escape") }
            let e = bytes[position]
            position += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                let unit = try hex4()
                var scalarValue = UInt32(unit)
                if (0xD800...0xDBFF).contains(unit) {
                    guard position + 2 <= bytes.count, bytes[position] == UInt8(ascii: "\\"),
                        bytes[position + 1] == UInt8(ascii: "u")
                    else { throw error("json.bad_escape", "lone high surrogate") }
                    position += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("json.bad_escape", "invalid surrogate pair") }
                    scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(unit) {
                    throw error("json.bad_escape", "lone low surrogate")
                }
                guard let scalar = Unicode.Scalar(scalarValue) else { throw error("json.bad_escape", "invalid code point") }
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default: throw error("json.bad_escape", "unknown escape")
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else {
            throw error("json.bad_utf8", "string is not valid UTF-8")
        }
        return s
    }
}
