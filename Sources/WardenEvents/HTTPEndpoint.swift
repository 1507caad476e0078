import WardenCore

/// An `http://host[:port]/path` endpoint, parsed strictly. `https` is refused rather than
/// silently downgraded: no TLS stack is linked (use a local forwarder or a trusted network).
public struct HTTPEndpoint: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: UInt16
    public let path: String

    public init(parsing url: String) throws(WardenError) {
        func bad(_ why: String) -> WardenError { .usage("events.bad_url", "event sink url \"\(url.prefix(200))\": \(why)") }
        if url.lowercased().hasPrefix("https://") {
            throw bad("https is not supported (no TLS stack is linked); use http:// to a local forwarder")
        }
        guard url.hasPrefix("http://") else { throw bad("must start with http://") }
        let rest = url.dropFirst(7)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let path = rest[slash...].isEmpty ? "/" : String(rest[slash...])
        guard path.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }), !path.contains("#") else {
            throw bad("path must be printable ASCII without spaces or fragments")
        }
        guard !authority.contains("@") else { throw bad("user information is not allowed") }
        var host = Substring(authority)
        var port: UInt16 = 80
        if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let p = UInt16(authority[authority.index(after: colon)...]), p > 0 else { throw bad("invalid port") }
            port = p
        }
        guard !host.isEmpty, host.utf8.count <= 253,
            host.utf8.allSatisfy({ c in (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2E || c == 0x2D })
        else { throw bad("host must be a DNS name or IPv4 address") }
        self.host = String(host)
        self.port = port
        self.path = path
    }

    public var description: String { "http://\(host):\(port)\(path)" }

    /// The request head for a POST of `length` bytes.
    func requestHead(contentType: String, length: Int) -> String {
        "POST \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nContent-Type: \(contentType)\r\nContent-Length: \(length)\r\n"
            + "Connection: close\r\nUser-Agent: warden\r\n\r\n"
    }

    /// The status code of a response whose head starts `HTTP/1.x NNN`; nil when malformed.
    static func statusCode(_ head: [UInt8]) -> Int? {
        guard head.count >= 12 else { return nil }
        let prefix = Array("HTTP/1.".utf8)
        guard Array(head.prefix(7)) == prefix, head[7] == UInt8(ascii: "0") || head[7] == UInt8(ascii: "1"), head[8] == 0x20 else { return nil }
        let digits = head[9..<12]
        guard digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }
}
