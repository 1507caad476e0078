extension TLSClientHello {
    static let extensionServerName = 0
    static let extensionALPN = 16
    static let extensionECH = 0xfe0d

    /// Parses a complete ClientHello body (after the 4-byte handshake header; RFC 8446
    /// §4.1.2, RFC 5246 §7.4.1.2). Every vector must fit its container, the extensions must
    /// fill the rest of the message exactly, and no extension type may appear twice (servers
    /// refuse that, and a second server_name is how a name would be smuggled past a reader
    /// that stops at the first).
    static func parseBody(_ body: [UInt8]) throws(TLSParseError) -> Peek {
        var reader = TLSReader(body)
        _ = try reader.take(2 + 32, "legacy_version and random")
        let session = try reader.vector(prefix: 1, "legacy_session_id")
        guard session.remaining <= 32 else { throw TLSParseError("session id longer than 32 bytes") }
        let suites = try reader.vector(prefix: 2, "cipher_suites")
        guard suites.remaining >= 2, suites.remaining % 2 == 0 else { throw TLSParseError("cipher_suites of odd or zero length") }
        let compression = try reader.vector(prefix: 1, "legacy_compression_methods")
        guard !compression.isEmpty else { throw TLSParseError("no compression methods") }
        // A hello from before extensions (RFC 5246 §7.4.1.2 allows it) ends here.
        guard !reader.isEmpty else { return .hello(serverName: nil, encryptedClientHello: false, alpn: []) }
        var extensions = try reader.vector(prefix: 2, "extensions")
        guard reader.isEmpty else { throw TLSParseError("\(reader.remaining) bytes after the extensions") }

        var seen: Set<Int> = []
        var serverName: String? = nil
        var ech = false
        var alpn: [String] = []
        while !extensions.isEmpty {
            let type = try extensions.u16("extension type")
            var data = try extensions.vector(prefix: 2, "extension data")
            guard seen.insert(type).inserted else { throw TLSParseError("extension \(type) appears twice") }
            switch type {
            case extensionServerName:
                serverName = try parseServerName(&data)
            case extensionALPN:
                alpn = try parseALPN(&data)
            case extensionECH:
                ech = true
            default:
                break
            }
        }
        return .hello(serverName: serverName, encryptedClientHello: ech, alpn: alpn)
    }

    /// server_name (RFC 6066 §3): a non-empty list that fills the extension, holding exactly
    /// one host_name (type 0); entries of other types are length-checked and ignored.
    static func parseServerName(_ data: inout TLSReader) throws(TLSParseError) -> String {
        var list = try data.vector(prefix: 2, "server_name list")
        guard data.isEmpty else { throw TLSParseError("bytes after the server_name list") }
        var hostName: String? = nil
        while !list.isEmpty {
            let nameType = try list.u8("server name type")
            let name = try list.vector(prefix: 2, "server name")
            guard nameType == 0 else { continue }
            guard hostName == nil else { throw TLSParseError("more than one host_name in server_name") }
            guard let normalized = TLSServerName.normalize(name.rest()) else {
                throw TLSParseError("host_name is not a valid DNS name")
            }
            hostName = normalized
        }
        guard let hostName else { throw TLSParseError("server_name without a host_name") }
        return hostName
    }

    /// application_layer_protocol_negotiation (RFC 7301 §3.1): a non-empty list that fills the
    /// extension, of non-empty protocol names (decoded as UTF-8; invalid bytes become U+FFFD).
    static func parseALPN(_ data: inout TLSReader) throws(TLSParseError) -> [String] {
        var list = try data.vector(prefix: 2, "ALPN list")
        guard data.isEmpty else { throw TLSParseError("bytes after the ALPN list") }
        guard !list.isEmpty else { throw TLSParseError("empty ALPN list") }
        var protocols: [String] = []
        while !list.isEmpty {
            let name = try list.vector(prefix: 1, "ALPN protocol name")
            guard !name.isEmpty else { throw TLSParseError("empty ALPN protocol name") }
            protocols.append(String(decoding: name.rest(), as: UTF8.self))
        }
        return protocols
    }
}
