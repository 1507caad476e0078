/// Reads the server name (SNI) and a few other facts from the first bytes a TLS client sends,
/// so the egress proxy can decide before it dials. Reads untrusted bytes: every length is
/// checked against its container, at most 16 KiB of handshake is reassembled, no input traps.
public enum TLSClientHello {
    /// What the first bytes of a connection say.
    public enum Peek: Sendable, Equatable {
        /// At least this many bytes in total (more than were given) are needed to decide.
        case needMore(Int)
        /// The first bytes are not a TLS handshake record.
        case notTLS
        /// A complete, well-formed ClientHello. `serverName`: the host_name, lowercase, no
        /// trailing dot, nil without a server_name extension; `encryptedClientHello`: an
        /// encrypted_client_hello extension is present (the name above is then only the
        /// outer, public one); `alpn`: the offered protocols in order.
        case hello(serverName: String?, encryptedClientHello: Bool, alpn: [String])
        /// A TLS handshake that no honest client sends; the reason says what was wrong.
        case malformed(String)
    }

    /// The largest record payload TLS allows (2^14 plus expansion, RFC 5246 §6.2.3).
    public static let maxRecordLength = 16384 + 256
    /// The largest ClientHello (handshake header included) reassembled before giving up.
    public static let maxHandshakeLength = 16384
    static let contentTypeHandshake: UInt8 = 22
    static let handshakeClientHello: UInt8 = 1

    /// Reads the ClientHello from `bytes`, the first bytes a client sent. The hello may span
    /// several records (each of content type 22, version 0x0301–0x0304, 1…16640 bytes), whose
    /// payloads are joined; bytes after the hello are ignored. A first byte other than 22, or
    /// a second other than 3, is `.notTLS` (an SSLv2-style hello is too). A prefix of a valid
    /// hello is always `.needMore`, never `.malformed`: the hello itself is only judged once
    /// complete. server_name must hold exactly one host_name that is a valid DNS name (LDH
    /// labels, at most 253 octets after one trailing dot is dropped).
    public static func peek(_ bytes: [UInt8]) -> Peek {
        var handshake: [UInt8] = []
        var needed: Int? = nil  // the hello's length with its header, once known
        var position = 0
        while true {
            // The record header, judged byte by byte so a short prefix is decided when it can be.
            let available = bytes.count - position
            if available >= 1, bytes[position] != contentTypeHandshake {
                return position == 0 ? .notTLS : .malformed("record of content type \(bytes[position]) inside the ClientHello")
            }
            if available >= 2, bytes[position + 1] != 3 {
                return position == 0 ? .notTLS : .malformed("record version major \(bytes[position + 1])")
            }
            if available >= 3, !(1...4).contains(bytes[position + 2]) {
                return .malformed("record version 3.\(bytes[position + 2])")
            }
            guard available >= 5 else { return .needMore(position + (available < 3 ? available + 1 : 5)) }
            let length = Int(bytes[position + 3]) << 8 | Int(bytes[position + 4])
            guard length > 0 else { return .malformed("empty handshake record") }
            guard length <= maxRecordLength else { return .malformed("record of \(length) bytes (more than 16640)") }

            // Take what this record holds of the hello (no more than the hello still needs).
            let payloadStart = position + 5
            let present = min(length, bytes.count - payloadStart)
            let wanted = (needed ?? maxHandshakeLength) - handshake.count
            handshake.append(contentsOf: bytes[payloadStart..<(payloadStart + min(present, wanted))])
            if needed == nil, handshake.count >= 1, handshake[0] != handshakeClientHello {
                return .malformed("handshake message of type \(handshake[0]), not ClientHello")
            }
            if needed == nil, handshake.count >= 4 {
                let bodyLength = Int(handshake[1]) << 16 | Int(handshake[2]) << 8 | Int(handshake[3])
                guard bodyLength + 4 <= maxHandshakeLength else {
                    return .malformed("ClientHello of \(bodyLength) bytes (more than 16 KiB)")
                }
                needed = bodyLength + 4
                if handshake.count > bodyLength + 4 { handshake.removeLast(handshake.count - (bodyLength + 4)) }
            }
            if let needed, handshake.count == needed {
                do throws(TLSParseError) {
                    return try parseBody(Array(handshake[4...]))
                } catch {
                    return .malformed(error.reason)
                }
            }
            // The hello goes on: in the rest of this record, or in the next one.
            let missing = needed.map { $0 - handshake.count } ?? (4 - handshake.count)
            if present < length {
                return .needMore(payloadStart + min(length, present + max(missing, 1)))
            }
            position = payloadStart + length
            if bytes.count == position { return .needMore(position + 5 + max(missing, 1)) }
        }
    }
}
