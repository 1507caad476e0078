import Testing
import WardenTestSupport
@testable import WardenNet

/// Inputs a hostile sandboxed program or upstream could send: each must throw (never trap,
/// never loop, never allocate what a length field claims).
extension DNSMessageTests {
    static func validQuery() -> [UInt8] { DNSMessage.query(id: 5, name: "api.test.example", type: DNSMessage.typeA) }

    static func validResponse() throws -> [UInt8] {
        let query = try DNSMessage.parseQuery(validQuery())
        return DNSMessage.response(to: query, rcode: 0, addresses: [[192, 0, 2, 1], [192, 0, 2, 2]], ttl: 60)
    }

    @Test func emptyAndShortMessagesThrow() throws {
        for length in 0..<12 {
            #expect(throws: DNSError.self) { try DNSMessage.parseQuery(Array(Self.validQuery().prefix(length))) }
            #expect(throws: DNSError.self) { try DNSMessage.parseResponse(Array(try Self.validResponse().prefix(length))) }
        }
    }

    @Test func everyStrictPrefixThrows() throws {
        let query = Self.validQuery(), response = try Self.validResponse()
        for length in 0..<query.count {
            #expect(throws: DNSError.self) { try DNSMessage.parseQuery(Array(query.prefix(length))) }
        }
        for length in 0..<response.count {
            #expect(throws: DNSError.self) { try DNSMessage.parseResponse(Array(response.prefix(length))) }
        }
    }

    @Test func tooLongMessageThrows() {
        var bytes = Self.validQuery()
        bytes += [UInt8](repeating: 0, count: 65536 - bytes.count)
        #expect(throws: DNSError("message longer than 65535 bytes")) { try DNSMessage.parseQuery(bytes) }
    }

    @Test func headerRulesForQueries() throws {
        func query(flags: UInt16 = 0x0100, questions: UInt16 = 1, answers: UInt16 = 0, authorities: UInt16 = 0,
                   additionals: UInt16 = 0, qclass: UInt16 = 1, extra: [UInt8] = []) -> [UInt8] {
            var m = DNSTestMessage(flags: flags, questions: questions, answers: answers, authorities: authorities, additionals: additionals)
            for _ in 0..<max(1, Int(questions)) {
                m.name("a.test")
                m.question(type: 1, qclass: qclass)
            }
            m.bytes += extra
            return m.bytes
        }
        #expect(throws: DNSError("QR=1: a response, not a query")) { try DNSMessage.parseQuery(query(flags: 0x8100)) }
        #expect(throws: DNSError.self) { try DNSMessage.parseQuery(query(flags: 0x2100)) }  // opcode 4 (NOTIFY)
        #expect(throws: DNSError("2 questions (exactly one expected)")) { try DNSMessage.parseQuery(query(questions: 2)) }
        #expect(throws: DNSError.self) { try DNSMessage.parseQuery(query(questions: 0)) }
        #expect(throws: DNSError.self) { try DNSMessage.parseQuery(query(answers: 1)) }
        #expect(throws: DNSError.self) { try DNSMessage.parseQuery(query(authorities: 1)) }
        #expect(throws: DNSError("question class 3 is not IN")) { try DNSMessage.parseQuery(query(qclass: 3)) }
        #expect(throws: DNSError("question class 255 is not IN")) { try DNSMessage.parseQuery(query(qclass: 255)) }
        #expect(throws: DNSError("1 bytes after the query")) { try DNSMessage.parseQuery(query(extra: [0])) }
        // One additional record that is not OPT (a TSIG-like A record with the root owner).
        #expect(throws: DNSError("additional record is not OPT")) {
            try DNSMessage.parseQuery(query(additionals: 1, extra: [0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]))
        }
        // OPT claiming more data than there is; two OPTs.
        #expect(throws: DNSError.self) { try DNSMessage.parseQuery(query(additionals: 1, extra: [0, 0, 41, 4, 0xD0, 0, 0, 0, 0, 0xFF, 0xFF])) }
        #expect(throws: DNSError.self) { try DNSMessage.parseQuery(query(additionals: 2, extra: [UInt8](repeating: 0, count: 22))) }
        #expect(throws: DNSError("QR=0: a query, not a response")) { try DNSMessage.parseResponse(query()) }
        #expect(throws: DNSError("2 questions (at most one expected)")) { try DNSMessage.parseResponse(query(flags: 0x8180, questions: 2)) }
    }

    @Test func unrepresentableQueryNamesThrow() {
        for label: [UInt8] in [[0x61, 0x2E, 0x62], [0x61, 0x20, 0x62], [0x00], [0x7F], [0xC3, 0xA9], [0x61, 0x0A]] {
            var m = DNSTestMessage(flags: 0x0100)
            m.bytes += [UInt8(label.count)] + label + [4] + Array("test".utf8) + [0]
            m.question(type: 1)
            #expect(throws: DNSError("question name has a byte outside visible ASCII or a '.' inside a label")) {
                try DNSMessage.parseQuery(m.bytes)
            }
        }
    }

    @Test func labelAndNameLengthLimits() throws {
        func query(labels: [Int]) -> [UInt8] {
            var m = DNSTestMessage(flags: 0x0100)
            for length in labels { m.bytes += [UInt8(length)] + [UInt8](repeating: 0x61, count: length) }
            m.bytes.append(0)
            m.question(type: 1)
            return m.bytes
        }
        #expect(try DNSMessage.parseQuery(query(labels: [63])).question.name.count == 63)
        #expect(throws: DNSError("label length 64 (longer than 63, or an unsupported label type)")) {
            try DNSMessage.parseQuery(query(labels: [64]))
        }
        // 63+63+63+61 is 255 octets on the wire, 253 as text: the longest name there is.
        #expect(try DNSMessage.parseQuery(query(labels: [63, 63, 63, 61])).question.name.count == 253)
        #expect(throws: DNSError("name longer than 255 octets")) { try DNSMessage.parseQuery(query(labels: [63, 63, 63, 62])) }
        #expect(throws: DNSError("name longer than 255 octets")) { try DNSMessage.parseQuery(query(labels: [63, 63, 63, 63, 63])) }
        #expect(throws: DNSError("name longer than 255 octets")) { try DNSMessage.parseQuery(query(labels: [Int](repeating: 1, count: 128))) }
        for type: UInt8 in [0x40, 0x41, 0x80, 0xBF] {  // extended and reserved label types
            var m = DNSTestMessage(flags: 0x0100)
            m.bytes += [type, 0, 0]
            m.question(type: 1)
            #expect(throws: DNSError.self) { try DNSMessage.parseQuery(m.bytes) }
        }
    }

    @Test func nameTooLongThroughCompression() throws {
        var m = DNSTestMessage(flags: 0x8180, answers: 1)
        let labels = [String](repeating: String(repeating: "q", count: 63), count: 3) + [String(repeating: "q", count: 60)]
        let question = m.name(labels.joined(separator: "."))  // 254 octets: fits
        m.question(type: 1)
        m.name("abc", then: question)  // 4 + 254 > 255
        m.record(type: 1, ttl: 1, data: [1, 2, 3, 4])
        #expect(throws: DNSError("name longer than 255 octets")) { try DNSMessage.parseResponse(m.bytes) }
    }

    @Test func pointerLoopsAndForwardPointersThrow() throws {
        // The question name points at itself.
        var selfLoop = DNSTestMessage(flags: 0x0100)
        selfLoop.pointer(12)
        selfLoop.question(type: 1)
        #expect(throws: DNSError("compression pointer does not point backwards")) { try DNSMessage.parseQuery(selfLoop.bytes) }

        // An answer owner "x" then a pointer back to its own start: a loop through a label.
        var labelLoop = DNSTestMessage(flags: 0x8180, answers: 1)
        labelLoop.name("a.test")
        labelLoop.question(type: 1)
        let owner = labelLoop.offset
        labelLoop.bytes += [1, 0x78]
        labelLoop.pointer(owner)
        labelLoop.record(type: 1, ttl: 1, data: [1, 2, 3, 4])
        #expect(throws: DNSError("compression pointer does not point backwards")) { try DNSMessage.parseResponse(labelLoop.bytes) }

        // A forward pointer, to a name that really is there later.
        var forward = DNSTestMessage(flags: 0x8180, answers: 2)
        forward.name("a.test")
        forward.question(type: 1)
        let first = forward.offset
        forward.pointer(first + 2 + 14)
        forward.record(type: 1, ttl: 1, data: [1, 2, 3, 4])
        forward.name("later")
        forward.record(type: 1, ttl: 1, data: [1, 2, 3, 4])
        #expect(throws: DNSError("compression pointer does not point backwards")) { try DNSMessage.parseResponse(forward.bytes) }

        // A pointer into the header, a pointer cut off by the end, a pointer past the end.
        var header = DNSTestMessage(flags: 0x8180, answers: 1)
        header.name("a.test")
        header.question(type: 1)
        header.pointer(4)
        header.record(type: 1, ttl: 1, data: [1, 2, 3, 4])
        #expect(throws: DNSError("compression pointer into the header")) { try DNSMessage.parseResponse(header.bytes) }
        var cut = DNSTestMessage(flags: 0x0100)
        cut.bytes.append(0xC0)
        #expect(throws: DNSError.self) { try DNSMessage.parseQuery(cut.bytes) }
        var past = DNSTestMessage(flags: 0x8180, answers: 1)
        past.name("a.test")
        past.question(type: 1)
        past.pointer(0x3FFF)
        past.record(type: 1, ttl: 1, data: [1, 2, 3, 4])
        #expect(throws: DNSError.self) { try DNSMessage.parseResponse(past.bytes) }
    }

    /// Record k's owner is "a" then a pointer to record k-1's owner: reading it follows k pointers.
    static func pointerChain(records: Int) -> [UInt8] {
        var m = DNSTestMessage(flags: 0x8180, answers: UInt16(records))
        var previous = m.name("x")
        m.question(type: 1)
        for _ in 0..<records {
            let owner = m.offset
            m.bytes += [1, 0x61]
            m.pointer(previous)
            m.record(type: 1, ttl: 1, data: [1, 2, 3, 4])
            previous = owner
        }
        return m.bytes
    }

    @Test func atMost32PointersPerName() throws {
        let response = try DNSMessage.parseResponse(Self.pointerChain(records: 32))
        #expect(response.answers.last?.name == [String](repeating: "a", count: 32).joined(separator: ".") + ".x")
        #expect(throws: DNSError("more than 32 compression pointers in a name")) {
            try DNSMessage.parseResponse(Self.pointerChain(records: 33))
        }
    }

    @Test func countsClaimingMoreThanThereIs() {
        // 65535 of everything with 20 bytes of data.
        var bytes: [UInt8] = [0, 1, 0x81, 0x80, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        bytes += [1, 0x61, 0, 0, 1, 0, 1, 0xC0, 0x0C, 0]
        bytes += [UInt8](repeating: 0, count: 20 - (bytes.count - 12))
        #expect(bytes.count == 32)
        #expect(throws: DNSError.self) { try DNSMessage.parseResponse(bytes) }
        var answers = bytes
        answers[4] = 0; answers[5] = 1
        #expect(throws: DNSError.self) { try DNSMessage.parseResponse(answers) }
        #expect(throws: DNSError.self) { try DNSMessage.parseQuery(bytes) }
    }

    @Test func recordDataRules() throws {
        func response(_ write: (inout DNSTestMessage, Int) -> Void) -> [UInt8] {
            var m = DNSTestMessage(flags: 0x8180, answers: 1)
            let question = m.name("a.test")
            m.question(type: 1)
            m.pointer(question)
            write(&m, question)
            return m.bytes
        }
        #expect(throws: DNSError("A record with 5 bytes of data")) {
            try DNSMessage.parseResponse(response { m, _ in m.record(type: 1, ttl: 1, data: [1, 2, 3, 4, 5]) })
        }
        #expect(throws: DNSError("AAAA record with 4 bytes of data")) {
            try DNSMessage.parseResponse(response { m, _ in m.record(type: 28, ttl: 1, data: [1, 2, 3, 4]) })
        }
        #expect(throws: DNSError("record data runs past the end of the message")) {
            try DNSMessage.parseResponse(response { m, _ in m.u16(1); m.u16(1); m.u32(1); m.u16(0xFFFF); m.bytes += [1, 2, 3, 4] })
        }
        #expect(throws: DNSError("CNAME target does not fill the record data")) {
            try DNSMessage.parseResponse(response { m, q in m.record(type: 5, ttl: 1, data: [0xC0, UInt8(q), 0]) })
        }
        #expect(throws: DNSError.self) {  // a CNAME target running past its RDATA into the next bytes
            try DNSMessage.parseResponse(response { m, _ in m.record(type: 5, ttl: 1, data: [3, 0x61]); m.bytes += [0x62, 0x63, 0] })
        }
        // A CNAME to an unrepresentable name is skipped, not an error.
        let odd = try DNSMessage.parseResponse(response { m, _ in m.record(type: 5, ttl: 1, data: [1, 0x01, 0]) })
        #expect(odd.answers.isEmpty)
    }

    /// Random corruption of valid messages: parsers never trap, and whatever parses as a query
    /// round-trips through the stub's answer.
    @Test func mutatedMessagesNeverTrap() throws {
        var rng = SplitMix64(state: 0xD45)
        var ednsQuery = DNSTestMessage(flags: 0x0100, additionals: 1)
        ednsQuery.name("api.test.example")
        ednsQuery.question(type: 28)
        ednsQuery.opt(options: [0, 10, 0, 2, 1, 2])
        let seeds = [Self.validQuery(), try Self.validResponse(), ednsQuery.bytes, Self.pointerChain(records: 5)]
        var parsedQueries = 0
        for round in 0..<20_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
                case 2: bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
                default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng))
                }
                if bytes.isEmpty { break }
            }
            if let query = try? DNSMessage.parseQuery(bytes) {
                parsedQueries += 1
                let answer = DNSMessage.response(to: query, rcode: 0, addresses: [[1, 2, 3, 4], Self.v6], ttl: 9)
                let echoed = try DNSMessage.parseResponse(answer)
                #expect(echoed.question == query.question, "seed round \(round)")
            }
            if let response = try? DNSMessage.parseResponse(bytes), let question = response.question {
                for address in DNSMessage.addresses(for: question.name, type: question.type, in: response).addresses {
                    #expect(address.count == 4 || address.count == 16)
                }
            }
        }
        #expect(parsedQueries > 100)
    }
}
