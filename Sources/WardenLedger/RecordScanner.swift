import WardenCore

/// What the verifier needs from one record: seq, prev, kid, the signature and the signed
/// message.
struct ScannedRecord: Sendable, Equatable {
    let seq: Int64
    /// The 64 lowercase hex digits of `prev` (validated).
    let prevHex: [UInt8]
    let kid: String
    let signature: [UInt8]
    /// The canonical bytes without the `sig` member.
    let message: [UInt8]
}

/// A single-pass recognizer for the common case of a canonical record, so verification does
/// not build a JSON tree and re-encode it for every record (the cost that dominated
/// `warden audit verify`).
///
/// It only ever *accepts* bytes that `LedgerRecord.parseWithMessage` accepts with the same
/// result; whenever it is not sure — any byte ≥ 0x80, an escape in a key or in `kid`, `sig`
/// or `prev`, an integer of 19 or more digits, nesting deeper than the parser's limit, an
/// oversized record, or anything that is not canonical — it returns nil and the caller
/// falls back to the full strict parse (which also produces the error message). Accepting
/// is therefore never looser than the reference path; a differential test checks both on
/// random and mutated records.
enum RecordScanner {
    /// The top-level member names in canonical (RFC 8785) order.
    private static let keys: [[UInt8]] = [
        "actor", "decision", "details", "event", "kid", "node", "prev", "seq", "sig", "subject", "tenant", "time",
    ].map { Array("\"\($0)\":".utf8) }

    /// Same nesting limit as `LedgerRecord.parseWithMessage` (`StrictJSONParser` maxDepth 32).
    private static let maxDepth = 32

    static func scan(_ bytes: [UInt8]) -> ScannedRecord? {
        guard bytes.count <= LedgerRecord.maxBytes else { return nil }
        return bytes.withUnsafeBufferPointer { buf -> ScannedRecord? in
            var s = Scanner(b: buf)
            return s.record(bytes)
        }
    }

    private struct Scanner {
        let b: UnsafeBufferPointer<UInt8>
        var i = 0

        init(b: UnsafeBufferPointer<UInt8>) { self.b = b }

        @inline(__always) mutating func byte(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }

        mutating func literal(_ l: [UInt8]) -> Bool {
            guard b.count - i >= l.count else { return false }
            for k in 0..<l.count where b[i + k] != l[k] { return false }
            i += l.count
            return true
        }

        /// A canonical string; returns the range of its raw content. `plain` refuses escapes.
        mutating func string(plain: Bool) -> Range<Int>? {
            guard byte(0x22) else { return nil }
            let start = i
            while i < b.count {
                let c = b[i]
                if c == 0x22 {
                    i += 1
                    return start..<(i - 1)
                }
                if c < 0x20 || c >= 0x80 { return nil }
                if c != 0x5C { i += 1; continue }
                if plain || i + 1 >= b.count { return nil }
                switch b[i + 1] {
                case 0x22, 0x5C, 0x62, 0x74, 0x6E, 0x66, 0x72:  // \" \\ \b \t \n \f \r
                    i += 2
                case 0x75:  // \u00XX, lowercase hex, only for the controls without a short escape
                    guard i + 5 < b.count, b[i + 2] == 0x30, b[i + 3] == 0x30, let h = hexNibble(b[i + 4]), h <= 1,
                        let l = hexNibble(b[i + 5])
                    else { return nil }
                    let v = h << 4 | l
                    if v == 0x08 || v == 0x09 || v == 0x0A || v == 0x0C || v == 0x0D { return nil }
                    i += 6
                default: return nil
                }
            }
            return nil
        }

        @inline(__always) func hexNibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            default: nil
            }
        }

        /// A canonical integer (`String(Int64)` spelling) of at most 18 digits.
        mutating func integer() -> Int64? {
            var negative = false
            if i < b.count, b[i] == 0x2D { negative = true; i += 1 }
            let start = i
            var v: Int64 = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                if i - start == 18 { return nil }  // 19+ digits: left to the full parser
                v = v * 10 + Int64(b[i] - 0x30)
                i += 1
            }
            let n = i - start
            guard n > 0 else { return nil }
            if b[start] == 0x30 && (n > 1 || negative) { return nil }  // leading zero, "-0"
            return negative ? -v : v
        }

        mutating func value(depth: Int) -> Bool {
            guard depth <= RecordScanner.maxDepth, i < b.count else { return false }
            switch b[i] {
            case 0x7B: return object(depth: depth)
            case 0x5B:
                i += 1
                if byte(0x5D) { return true }
                repeat {
                    guard value(depth: depth + 1) else { return false }
                } while byte(0x2C)
                return byte(0x5D)
            case 0x22: return string(plain: false) != nil
            case 0x74: return literal(Array("true".utf8))
            case 0x66: return literal(Array("false".utf8))
            case 0x6E: return literal(Array("null".utf8))
            default: return integer() != nil
            }
        }

        /// An object whose keys are escape-free ASCII in strictly increasing order (for ASCII,
        /// byte order is the UTF-16 order RFC 8785 sorts by, and strictness excludes duplicates).
        mutating func object(depth: Int) -> Bool {
            guard byte(0x7B) else { return false }
            if byte(0x7D) { return true }
            var previous: Range<Int>?
            repeat {
                guard let key = string(plain: true), byte(0x3A) else { return false }
                if let p = previous, !b[p].lexicographicallyPrecedes(b[key]) { return false }
                previous = key
                guard value(depth: depth + 1) else { return false }
            } while byte(0x2C)
            return byte(0x7D)
        }

        mutating func member(_ k: Int, first: Bool = false) -> Bool {
            (first || byte(0x2C)) && literal(RecordScanner.keys[k])
        }

        mutating func record(_ bytes: [UInt8]) -> ScannedRecord? {
            guard byte(0x7B), member(0, first: true), string(plain: false) != nil,  // actor
                member(1), i < b.count, (b[i] == 0x6E ? literal(Array("null".utf8)) : string(plain: false) != nil),  // decision
                member(2), i < b.count, b[i] == 0x7B, object(depth: 1),  // details
                member(3), string(plain: false) != nil,  // event
                member(4), let kid = string(plain: true),
                member(5), string(plain: false) != nil,  // node
                member(6), let prev = string(plain: true), prev.count == 64, b[prev].allSatisfy({ hexNibble($0) != nil }),
                member(7), let seq = integer()
            else { return nil }
            let sigStart = i
            guard member(8), let sig = string(plain: true) else { return nil }
            let sigEnd = i
            guard member(9), string(plain: false) != nil,  // subject
                member(10), string(plain: false) != nil,  // tenant
                member(11), integer() != nil,  // time
                byte(0x7D), i == b.count,
                let signature = Base64URL.decode(String(decoding: b[sig], as: UTF8.self)), signature.count == 64
            else { return nil }
            var message: [UInt8] = []
            message.reserveCapacity(bytes.count - (sigEnd - sigStart))
            message.append(contentsOf: bytes[..<sigStart])
            message.append(contentsOf: bytes[sigEnd...])
            return ScannedRecord(seq: seq, prevHex: Array(b[prev]), kid: String(decoding: b[kid], as: UTF8.self),
                                 signature: signature, message: message)
        }
    }
}
