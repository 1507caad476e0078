extension DNSMessage {
    /// The UDP payload size Warden's stub advertises in the OPT record of its answers.
    static let advertisedUDPSize: UInt16 = 1232

    /// Builds a query for an upstream: `id`, RD=1, one question `name` (normalized: lowercase,
    /// trailing dot dropped) of `type`, class IN, no EDNS. `name` should be one `parseQuery`
    /// returned; any other string still yields a well-formed message (see `DNSName.write`).
    public static func query(id: UInt16, name: String, type: UInt16) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(DNSWire.headerLength + DNSName.maxWireLength + 4)
        for word in [id, 0x0100, 1, 0, 0, 0] as [UInt16] { DNSWire.append(word, to: &out) }
        DNSName.write(name, to: &out)
        DNSWire.append(type, to: &out)
        DNSWire.append(classIN, to: &out)
        return out
    }

    /// Builds the answer Warden's stub sends back: the query's id, QR=1, opcode 0, RD copied,
    /// RA=1, `rcode` (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED; low 4 bits), the question
    /// echoed, then one record per address whose length fits the question type (4 bytes for
    /// A, 16 for AAAA; others, and all addresses for other types, are left out), each owned by
    /// the question name through a compression pointer to offset 12, with `ttl`. Never
    /// includes CNAMEs. When the query had EDNS an OPT record is added (RFC 6891 §7 requires
    /// one). Records that would take the message past `maxSize` (clamped to 512...65535; 512
    /// suits UDP, since the client's EDNS size is not kept; pass 65535 over TCP) are dropped
    /// and TC is set.
    public static func response(to query: DNSQuery, rcode: UInt8, addresses: [[UInt8]], ttl: UInt32,
                                maxSize: Int = 512) -> [UInt8] {
        let limit = min(max(maxSize, 512), DNSWire.maxMessageLength)
        let size = query.question.type == typeA ? 4 : query.question.type == typeAAAA ? 16 : -1
        let optLength = query.hasEDNS ? 11 : 0
        var question: [UInt8] = []
        DNSName.write(query.question.name, to: &question)
        DNSWire.append(query.question.type, to: &question)
        DNSWire.append(query.question.qclass, to: &question)

        var records: [UInt8] = []
        var count: UInt16 = 0
        var truncated = false
        var length = DNSWire.headerLength + question.count + optLength
        for address in addresses where address.count == size {
            let recordLength = 12 + size
            guard length + recordLength <= limit, count < UInt16.max else { truncated = true; break }
            DNSWire.append(0xC000 | UInt16(DNSWire.headerLength), to: &records)
            DNSWire.append(query.question.type, to: &records)
            DNSWire.append(classIN, to: &records)
            DNSWire.append(ttl, to: &records)
            DNSWire.append(UInt16(size), to: &records)
            records.append(contentsOf: address)
            length += recordLength
            count += 1
        }

        var flags: UInt16 = 0x8000 | (query.flags & 0x0100) | 0x0080 | UInt16(rcode & 0xF)
        if truncated { flags |= 0x0200 }
        var out: [UInt8] = []
        out.reserveCapacity(length)
        for word in [query.id, flags, 1, count, 0, query.hasEDNS ? 1 : 0] as [UInt16] { DNSWire.append(word, to: &out) }
        out.append(contentsOf: question)
        out.append(contentsOf: records)
        if query.hasEDNS {
            out.append(0)  // root owner
            DNSWire.append(typeOPT, to: &out)
            DNSWire.append(advertisedUDPSize, to: &out)
            DNSWire.append(UInt32(0), to: &out)  // extended RCODE 0, version 0, no DO
            DNSWire.append(UInt16(0), to: &out)  // no options
        }
        return out
    }
}
