/// The question of a DNS message.
public struct DNSQuestion: Sendable, Hashable {
    /// Lowercase ASCII, no trailing dot; "" is the root.
    public var name: String
    public var type: UInt16
    public var qclass: UInt16

    public init(name: String, type: UInt16, qclass: UInt16 = DNSMessage.classIN) {
        self.name = name
        self.type = type
        self.qclass = qclass
    }
}

/// A query a client sent the stub (see `DNSMessage.parseQuery`).
public struct DNSQuery: Sendable, Hashable {
    public var id: UInt16
    /// The header's flags word as sent (RD is copied into the answer).
    public var flags: UInt16
    public var question: DNSQuestion
    /// Whether the query carried an OPT record (EDNS); its contents are ignored.
    public var hasEDNS: Bool

    public init(id: UInt16, flags: UInt16, question: DNSQuestion, hasEDNS: Bool) {
        self.id = id
        self.flags = flags
        self.question = question
        self.hasEDNS = hasEDNS
    }
}

/// One answer record of class IN that `DNSMessage.parseResponse` keeps (A, AAAA or CNAME).
public struct DNSRecord: Sendable, Hashable {
    /// The owner name: lowercase, no trailing dot.
    public var name: String
    public var type: UInt16
    /// Seconds; a TTL with the top bit set is read as 0 (RFC 2181 §8).
    public var ttl: UInt32
    /// A: 4 address bytes; AAAA: 16; CNAME: the target name (lowercase, no trailing dot) as UTF-8.
    public var data: [UInt8]

    public init(name: String, type: UInt16, ttl: UInt32, data: [UInt8]) {
        self.name = name
        self.type = type
        self.ttl = ttl
        self.data = data
    }
}

/// An upstream's answer (see `DNSMessage.parseResponse`).
public struct DNSResponse: Sendable, Hashable {
    public var id: UInt16
    /// The header's 4-bit RCODE (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED, ...).
    public var rcode: UInt8
    /// TC: the upstream cut the answer short.
    public var truncated: Bool
    /// The echoed question; nil when the response carried none.
    public var question: DNSQuestion?
    /// The kept answer records, in message order.
    public var answers: [DNSRecord]

    public init(id: UInt16, rcode: UInt8, truncated: Bool, question: DNSQuestion?, answers: [DNSRecord]) {
        self.id = id
        self.rcode = rcode
        self.truncated = truncated
        self.question = question
        self.answers = answers
    }
}
