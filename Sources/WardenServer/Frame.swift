import WardenCore

/// The wire format between `warden run` and `warden serve`: one frame per message, a 4-byte
/// big-endian length followed by that many bytes of canonical JSON (an object). Pure: no I/O,
/// so the parser that reads a peer's bytes is tested and fuzzed on its own.
public enum Frame {
    /// Largest payload either side accepts; a run request carries an approval token and the
    /// tool's arguments, a reply the rendered report (up to 1 MiB of captured output per stream, JSON-escaped).
    public static let maxPayload = 16 << 20

    /// `value` as one frame.
    public static func encode(_ value: JSONValue) -> [UInt8] {
        let body = CanonicalJSON.encode(value)
        let n = UInt32(body.count)
        return [UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)] + body
    }

    /// The payload length announced by a 4-byte header; refuses lengths over `maxPayload`.
    public static func payloadLength(header: [UInt8]) throws(WardenError) -> Int {
        guard header.count == 4 else {
            throw .usage("serve.bad_frame", "frame header is \(header.count) bytes, expected 4")
        }
        let n = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        guard n > 0, n <= maxPayload else {
            throw .usage("serve.bad_frame", "frame announces \(n) bytes (allowed 1...\(maxPayload))")
        }
        return n
    }

    /// Parses a payload: strict JSON, and an object at the top.
    public static func decode(payload: [UInt8]) throws(WardenError) -> [String: JSONValue] {
        let value = try StrictJSONParser.parse(payload, limits: .init(maxDepth: 8, maxBytes: maxPayload))
        guard let object = value.objectValue else {
            throw .usage("serve.bad_frame", "frame payload is a JSON \(value.typeName), expected an object")
        }
        return object
    }
}
