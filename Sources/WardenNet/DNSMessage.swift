/// The RFC 1035 subset Warden's DNS stub speaks: one question of class IN from the client, A,
/// AAAA and CNAME answers from the upstream. Every parser here reads bytes a sandboxed program
/// or the network chose: lengths are checked against the message, work is bounded (at most 64
/// answer records are read, a name follows at most 32 pointers) and no input traps.
public enum DNSMessage {
    public static let typeA: UInt16 = 1
    public static let typeAAAA: UInt16 = 28
    public static let typeCNAME: UInt16 = 5
    public static let classIN: UInt16 = 1
    static let typeOPT: UInt16 = 41
    /// Answer records read from a response; later ones are ignored, not an error.
    public static let maxAnswers = 64

    /// A query from a client: QR=0, opcode 0, exactly one question of class IN, no answer or
    /// authority records, and at most one additional record, which must be an OPT (EDNS)
    /// record with the root owner: noted in `hasEDNS`, otherwise ignored. No bytes may follow.
    ///
    /// The question name is returned lowercase without a trailing dot ("" for the root). It
    /// may use compression only as the rules allow (a query has nothing before it to point
    /// at, so in practice it may not). A label holding any byte outside visible ASCII
    /// (0x21–0x7E) or a '.' is an error, so the name has exactly one text form; the stub
    /// answers such a query with FORMERR. Anything else unexpected throws too.
    public static func parseQuery(_ bytes: [UInt8]) throws(DNSError) -> DNSQuery {
        let header = try DNSHeader(bytes)
        guard !header.isResponse else { throw DNSError("QR=1: a response, not a query") }
        guard header.opcode == 0 else { throw DNSError("opcode \(header.opcode) is not a standard query") }
        guard header.questions == 1 else { throw DNSError("\(header.questions) questions (exactly one expected)") }
        guard header.answers == 0, header.authorities == 0 else { throw DNSError("a query with answer or authority records") }
        guard header.additionals <= 1 else { throw DNSError("\(header.additionals) additional records (at most one OPT expected)") }
        let (question, afterQuestion) = try readQuestion(bytes, at: DNSWire.headerLength)
        guard question.qclass == classIN else { throw DNSError("question class \(question.qclass) is not IN") }
        var position = afterQuestion
        if header.additionals == 1 {
            // OPT (RFC 6891 §6.1.2): root owner, type 41, class = UDP size, TTL = flags, RDATA.
            guard position < bytes.count, bytes[position] == 0 else { throw DNSError("additional record is not an OPT with the root owner") }
            guard try DNSWire.u16(bytes, position + 1, "the OPT record") == typeOPT else { throw DNSError("additional record is not OPT") }
            let length = Int(try DNSWire.u16(bytes, position + 9, "the OPT record"))
            guard length <= bytes.count - (position + 11) else { throw DNSError("OPT data runs past the end of the message") }
            position += 11 + length
        }
        guard position == bytes.count else { throw DNSError("\(bytes.count - position) bytes after the query") }
        return DNSQuery(id: header.id, flags: header.flags, question: question, hasEDNS: header.additionals == 1)
    }

    /// An upstream's response: QR=1, opcode 0, at most one question (echoed; its name must be
    /// representable as for `parseQuery`). The first 64 answer records are read, the rest and
    /// the authority and additional sections are ignored. Of those, class IN records of type A
    /// (4 bytes of data), AAAA (16) and CNAME (a name filling the data exactly) are kept, with
    /// names lowercase; other types and classes are skipped, as are records whose owner or
    /// target name is not representable (a name Warden could never have asked for). A record
    /// that does not fit the message, an A/AAAA of the wrong length or a malformed name throws.
    public static func parseResponse(_ bytes: [UInt8]) throws(DNSError) -> DNSResponse {
        let header = try DNSHeader(bytes)
        guard header.isResponse else { throw DNSError("QR=0: a query, not a response") }
        guard header.opcode == 0 else { throw DNSError("opcode \(header.opcode) is not a standard query") }
        guard header.questions <= 1 else { throw DNSError("\(header.questions) questions (at most one expected)") }
        var position = DNSWire.headerLength
        var question: DNSQuestion? = nil
        if header.questions == 1 {
            (question, position) = try readQuestion(bytes, at: position)
        }
        var answers: [DNSRecord] = []
        for _ in 0..<min(Int(header.answers), maxAnswers) {
            let record: DNSRecord?
            (record, position) = try readRecord(bytes, at: position)
            if let record { answers.append(record) }
        }
        return DNSResponse(id: header.id, rcode: header.rcode, truncated: header.truncated,
                           question: question, answers: answers)
    }

    /// A question entry; its name must be representable.
    static func readQuestion(_ bytes: [UInt8], at start: Int) throws(DNSError) -> (DNSQuestion, Int) {
        let name = try DNSName.read(bytes, at: start)
        guard let text = name.text else { throw DNSError("question name has a byte outside visible ASCII or a '.' inside a label") }
        let type = try DNSWire.u16(bytes, name.end, "the question")
        let qclass = try DNSWire.u16(bytes, name.end + 2, "the question")
        return (DNSQuestion(name: text, type: type, qclass: qclass), name.end + 4)
    }

    /// One resource record; nil when it is of a kind `parseResponse` skips.
    static func readRecord(_ bytes: [UInt8], at start: Int) throws(DNSError) -> (DNSRecord?, Int) {
        let owner = try DNSName.read(bytes, at: start)
        let type = try DNSWire.u16(bytes, owner.end, "a record")
        let rclass = try DNSWire.u16(bytes, owner.end + 2, "a record")
        var ttl = try DNSWire.u32(bytes, owner.end + 4, "a record")
        let length = Int(try DNSWire.u16(bytes, owner.end + 8, "a record"))
        let dataStart = owner.end + 10
        guard length <= bytes.count - dataStart else { throw DNSError("record data runs past the end of the message") }
        let dataEnd = dataStart + length
        if ttl > UInt32(Int32.max) { ttl = 0 }  // RFC 2181 §8
        guard rclass == classIN, let name = owner.text else { return (nil, dataEnd) }
        switch type {
        case typeA, typeAAAA:
            let expected = type == typeA ? 4 : 16
            guard length == expected else { throw DNSError("\(type == typeA ? "A" : "AAAA") record with \(length) bytes of data") }
            return (DNSRecord(name: name, type: type, ttl: ttl, data: Array(bytes[dataStart..<dataEnd])), dataEnd)
        case typeCNAME:
            let target = try DNSName.read(bytes, at: dataStart)
            guard target.end == dataEnd else { throw DNSError("CNAME target does not fill the record data") }
            guard let text = target.text else { return (nil, dataEnd) }
            return (DNSRecord(name: name, type: type, ttl: ttl, data: Array(text.utf8)), dataEnd)
        default:
            return (nil, dataEnd)
        }
    }
}
