/// Untrusted strings made safe for a human's terminal (docs/RUN.md, "What you see is what
/// runs"). An agent controls argv, paths, tool names and error details; printed raw, a `\r`
/// or an `ESC[2K` can rewrite the line an approver reads. Every character that moves the
/// cursor, changes the terminal's state or reorders text is shown as a visible escape, a
/// backslash is doubled so escapes cannot be forged, and a value too long for a line is cut
/// with its full length said, never silently.
public enum DisplayText {
    /// Default cap, in characters of the escaped text, for one value.
    public static let defaultLimit = 200

    /// `text` with control and formatting characters escaped, elided past `limit` characters.
    public static func escape(_ text: String, limit: Int = defaultLimit) -> String {
        assemble(text.unicodeScalars.map(escaped), limit: limit)
    }

    /// Bytes that should be UTF-8 (a file's name, a program's output): invalid sequences are
    /// shown as `\xNN`, everything else as `escape` shows it.
    public static func escape(bytes: [UInt8], limit: Int = defaultLimit) -> String {
        var pieces: [String] = []
        var i = 0
        while i < bytes.count {
            let (scalar, length) = decode(bytes, at: i)
            pieces.append(scalar.map(escaped) ?? "\\x" + hex(UInt32(bytes[i]), digits: 2))
            i += length
        }
        return assemble(pieces, limit: limit)
    }

    /// Joins escaped pieces, cutting whole pieces past `limit` characters and saying so.
    static func assemble(_ pieces: [String], limit: Int) -> String {
        var out = ""
        var shown = 0, total = 0
        var full = false
        for piece in pieces {
            total += piece.count
            if !full && shown + piece.count <= limit {
                out += piece
                shown += piece.count
            } else {
                full = true
            }
        }
        guard total > shown else { return out }
        return out + "…[\(total) chars, \(total - shown) not shown]"
    }

    /// An argv as one line: each argument escaped; quoted when empty or when it holds blanks,
    /// quotes or a backslash, so `ls -la` and `'ls -la'` never look alike.
    public static func argv(_ arguments: [String], limit: Int = 400) -> String {
        let joined = arguments.map { arg -> String in
            let e = escape(arg, limit: .max)
            let plain = !arg.isEmpty && !arg.unicodeScalars.contains { $0 == " " || $0 == "\"" || $0 == "'" || $0 == "\\" || $0 == "\t" }
            return plain ? e : "\"" + e.replacingQuote() + "\""
        }.joined(separator: " ")
        return elide(joined, limit: limit)
    }

    /// Cuts already-escaped text past `limit` characters, saying how long it was.
    static func elide(_ text: String, limit: Int) -> String {
        let count = text.count
        guard count > limit else { return text }
        return String(text.prefix(limit)) + "…[\(count) chars, \(count - limit) not shown]"
    }

    /// One scalar as it is shown.
    static func escaped(_ s: Unicode.Scalar) -> String {
        switch s.value {
        case 0x5C: return "\\\\"
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x09: return "\\t"
        case 0x1B: return "\\e"
        case 0x00..<0x20, 0x7F, 0x80..<0xA0: return "\\x" + hex(s.value, digits: 2)
        // Bidirectional overrides and isolates, zero-width and other invisible formatting, line
        // and paragraph separators, the BOM: each can hide or reorder what is shown.
        // Private-use characters render as anything a font likes.
        case 0x061C, 0x200B...0x200F, 0x2028...0x202E, 0x2060...0x2069, 0xFEFF, 0xFFF9...0xFFFB,
             0xE000...0xF8FF, 0xF0000...0x10FFFF:
            return "\\u{" + hex(s.value, digits: 4) + "}"
        default: return String(s)
        }
    }

    static func hex(_ v: UInt32, digits: Int) -> String {
        let h = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - h.count)) + h
    }

    /// One UTF-8 scalar at `i`: the scalar (nil when the bytes there are not valid UTF-8) and
    /// how many bytes to advance.
    static func decode(_ b: [UInt8], at i: Int) -> (Unicode.Scalar?, Int) {
        let lead = b[i]
        let (length, minimum): (Int, UInt32) = switch lead {
        case 0x00...0x7F: (1, 0)
        case 0xC2...0xDF: (2, 0x80)
        case 0xE0...0xEF: (3, 0x800)
        case 0xF0...0xF4: (4, 0x10000)
        default: (0, 0)
        }
        guard length > 0, i + length <= b.count else { return (nil, 1) }
        if length == 1 { return (Unicode.Scalar(lead), 1) }
        var value = UInt32(lead) & (0xFF >> (length + 1))
        for k in 1..<length {
            let c = b[i + k]
            guard c & 0xC0 == 0x80 else { return (nil, 1) }
            value = value << 6 | UInt32(c & 0x3F)
        }
        guard value >= minimum, let scalar = Unicode.Scalar(value) else { return (nil, 1) }
        return (scalar, length)
    }
}

extension String {
    fileprivate func replacingQuote() -> String {
        var out = ""
        for c in unicodeScalars { if c == "\"" { out += "\\\"" } else { out.unicodeScalars.append(c) } }
        return out
    }
}
