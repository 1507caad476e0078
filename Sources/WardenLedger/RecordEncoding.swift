import WardenCore

/// The parts of a record's canonical encoding that do not depend on its position in the
/// chain. Appenders build them on their own threads (`LedgerEntry.encoded`), so the group
/// committer — the one sequential stage — only adds `prev`, `seq`, `time` and the signature.
struct EncodedEntry: Sendable {
    /// `{"actor":…,"decision":…,"details":…,"event":…,"kid":…,"node":…`
    let prefix: [UInt8]
    /// `,"subject":…,"tenant":…,"time":`
    let middle: [UInt8]
}

/// Byte-level canonical JSON writing for the record's fixed shape. The top-level keys are
/// known and written in RFC 8785 order (actor, decision, details, event, kid, node, prev,
/// seq, sig, subject, tenant, time); values use the same rules as `CanonicalJSON` (a test
/// checks both encoders agree on random records).
enum RecordEncoding {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    @inline(__always) static func append(_ literal: StaticString, to out: inout [UInt8]) {
        literal.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    /// A JSON string with RFC 8785 minimal escaping (identical to `CanonicalJSON`).
    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(0x22)
        for byte in s.utf8 {
            switch byte {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x08: out.append(0x5C); out.append(UInt8(ascii: "b"))
            case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
            case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
            case 0x0C: out.append(0x5C); out.append(UInt8(ascii: "f"))
            case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
            case 0x00..<0x20:
                append("\\u00", to: &out)
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(0x22)
    }

    /// A decimal integer as `String(Int64)` spells it.
    static func writeInt(_ v: Int64, into out: inout [UInt8]) {
        if v < 0 { out.append(UInt8(ascii: "-")) }
        var m = v.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[n] = UInt8(truncatingIfNeeded: m % 10) + 0x30
                m /= 10
                n += 1
            } while m > 0
            while n > 0 {
                n -= 1
                out.append(d[n])
            }
        }
    }

    /// Lowercase hex in quotes (a `prev` value; hex needs no escaping).
    static func writeHexString(_ bytes: [UInt8], into out: inout [UInt8]) {
        out.append(0x22)
        for b in bytes {
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 0x0F)])
        }
        out.append(0x22)
    }

    /// The position-independent parts of a record.
    static func entry(actor: String, decision: String?, details: [UInt8], event: String, kid: String, node: String,
                      subject: String, tenant: String) -> EncodedEntry {
        var prefix: [UInt8] = []
        prefix.reserveCapacity(160 + details.count + actor.utf8.count + event.utf8.count)
        append("{\"actor\":", to: &prefix)
        writeString(actor, into: &prefix)
        append(",\"decision\":", to: &prefix)
        if let decision { writeString(decision, into: &prefix) } else { append("null", to: &prefix) }
        append(",\"details\":", to: &prefix)
        prefix.append(contentsOf: details)
        append(",\"event\":", to: &prefix)
        writeString(event, into: &prefix)
        append(",\"kid\":", to: &prefix)
        writeString(kid, into: &prefix)
        append(",\"node\":", to: &prefix)
        writeString(node, into: &prefix)
        var middle: [UInt8] = []
        middle.reserveCapacity(40 + subject.utf8.count + tenant.utf8.count)
        append(",\"subject\":", to: &middle)
        writeString(subject, into: &middle)
        append(",\"tenant\":", to: &middle)
        writeString(tenant, into: &middle)
        append(",\"time\":", to: &middle)
        return EncodedEntry(prefix: prefix, middle: middle)
    }

    /// The canonical encoding split around `sig`: the message is `head + tail`, the stored
    /// record `head + ,"sig":"…" + tail`. `prev` is given already encoded (a JSON string).
    static func parts(_ e: EncodedEntry, prevJSON: [UInt8], seq: Int64, time: Int64) -> (head: [UInt8], tail: [UInt8]) {
        var head: [UInt8] = []
        head.reserveCapacity(e.prefix.count + prevJSON.count + 32)
        head.append(contentsOf: e.prefix)
        append(",\"prev\":", to: &head)
        head.append(contentsOf: prevJSON)
        append(",\"seq\":", to: &head)
        writeInt(seq, into: &head)
        var tail: [UInt8] = []
        tail.reserveCapacity(e.middle.count + 21)
        tail.append(contentsOf: e.middle)
        writeInt(time, into: &tail)
        tail.append(UInt8(ascii: "}"))
        return (head, tail)
    }

    private static let base64URLDigits = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Unpadded base64url of `bytes`, as `Base64URL.encode` spells it, appended as raw bytes
    /// (no `String` in between: this runs once per record on the committer's sequential path).
    static func writeBase64URL(_ bytes: [UInt8], into out: inout [UInt8]) {
        base64URLDigits.withUnsafeBufferPointer { digits in
            bytes.withUnsafeBufferPointer { b in
                var i = 0
                while i + 3 <= b.count {
                    let v = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2])
                    out.append(digits[Int(v >> 18)])
                    out.append(digits[Int(v >> 12 & 0x3F)])
                    out.append(digits[Int(v >> 6 & 0x3F)])
                    out.append(digits[Int(v & 0x3F)])
                    i += 3
                }
                if b.count - i == 1 {
                    let v = UInt32(b[i]) << 16
                    out.append(digits[Int(v >> 18)])
                    out.append(digits[Int(v >> 12 & 0x3F)])
                } else if b.count - i == 2 {
                    let v = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8
                    out.append(digits[Int(v >> 18)])
                    out.append(digits[Int(v >> 12 & 0x3F)])
                    out.append(digits[Int(v >> 6 & 0x3F)])
                }
            }
        }
    }

    /// `head + ,"sig":"<base64url of signature>" + tail` (base64url needs no escaping).
    static func signed(head: [UInt8], signature: [UInt8], tail: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(head.count + tail.count + (signature.count * 4 + 2) / 3 + 9)
        out.append(contentsOf: head)
        append(",\"sig\":\"", to: &out)
        writeBase64URL(signature, into: &out)
        out.append(0x22)
        out.append(contentsOf: tail)
        return out
    }

    /// `head + ,"sig":"<sig>" + tail` (base64url needs no escaping).
    static func signed(head: [UInt8], sig: String, tail: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(head.count + tail.count + sig.utf8.count + 9)
        out.append(contentsOf: head)
        append(",\"sig\":", to: &out)
        writeString(sig, into: &out)
        out.append(contentsOf: tail)
        return out
    }
}

extension LedgerEntry {
    /// Validates the entry (as `validate()`) and encodes its position-independent parts.
    func encoded(kid: String, node: String) throws(WardenError) -> EncodedEntry {
        let details = try validatedDetails()
        return RecordEncoding.entry(actor: actor, decision: decision, details: details, event: event, kid: kid, node: node,
                                    subject: subject, tenant: tenant)
    }
}
