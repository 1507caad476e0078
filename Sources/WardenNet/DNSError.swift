/// Why a DNS message was refused. The stub answers a query it cannot parse with FORMERR (or
/// drops it when not even the header is there); an upstream answer it cannot parse is a
/// SERVFAIL for the client.
public struct DNSError: Error, Sendable, Equatable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }
}
