import Testing
import WardenTestSupport
@testable import WardenNet

@Suite struct DNSMessageTests {
    static let a: UInt16 = DNSMessage.typeA
    static let aaaa: UInt16 = DNSMessage.typeAAAA
    static let v6: [UInt8] = v6(1)
    /// 2001:db8::`last`
    static func v6(_ last: UInt8) -> [UInt8] { [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last] }

    @Test func queryRoundTrip() throws {
        let bytes = DNSMessage.query(id: 0xBEEF, name: "WWW.Example.COM.", type: Self.aaaa)
        #expect(bytes.count == 12 + 17 + 4)
        let query = try DNSMessage.parseQuery(bytes)
        #expect(query == DNSQuery(id: 0xBEEF, flags: 0x0100,
                                  question: DNSQuestion(name: "www.example.com", type: Self.aaaa, qclass: 1), hasEDNS: false))
    }

    @Test func rootQueryRoundTrip() throws {
        let query = try DNSMessage.parseQuery(DNSMessage.query(id: 1, name: ".", type: 2))
        #expect(query.question.name == "")
    }

    /// What `dig` sends: RD and AD set, an OPT record carrying a cookie option.
    @Test func digStyleQueryWithEDNS() throws {
        var m = DNSTestMessage(id: 0x4b2a, flags: 0x0120, additionals: 1)
        m.name("API.test.example")
        m.question(type: Self.a)
        m.opt(udpSize: 1232, options: [0x00, 0x0a, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8])
        let query = try DNSMessage.parseQuery(m.bytes)
        #expect(query.id == 0x4b2a)
        #expect(query.flags == 0x0120)
        #expect(query.hasEDNS)
        #expect(query.question == DNSQuestion(name: "api.test.example", type: Self.a))
    }

    @Test func answerRoundTrip() throws {
        let query = try DNSMessage.parseQuery(DNSMessage.query(id: 77, name: "api.test.example", type: Self.a))
        let addresses: [[UInt8]] = [[192, 0, 2, 1], [192, 0, 2, 2], Self.v6]
        let bytes = DNSMessage.response(to: query, rcode: 0, addresses: addresses, ttl: 300)
        // Header: same id, QR=1 RD=1 RA=1 NOERROR, one question, two answers (the 16-byte
        // address does not fit an A question), no OPT.
        #expect(Array(bytes[0..<12]) == [0, 77, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0])
        let firstAnswer = 12 + 18 + 4
        #expect(Array(bytes[firstAnswer..<(firstAnswer + 2)]) == [0xC0, 0x0C])
        let response = try DNSMessage.parseResponse(bytes)
        #expect(response.id == 77)
        #expect(response.rcode == 0)
        #expect(!response.truncated)
        #expect(response.question == query.question)
        #expect(response.answers.map(\.name) == ["api.test.example", "api.test.example"])
        let found = DNSMessage.addresses(for: "api.test.example", type: Self.a, in: response)
        #expect(found.addresses == [[192, 0, 2, 1], [192, 0, 2, 2]])
        #expect(found.ttl == 300)
        #expect(DNSMessage.addresses(for: "api.test.example", type: Self.aaaa, in: response).addresses.isEmpty)
    }

    @Test func answerForAAAA() throws {
        let query = try DNSMessage.parseQuery(DNSMessage.query(id: 9, name: "v6.test.example", type: Self.aaaa))
        let response = try DNSMessage.parseResponse(DNSMessage.response(to: query, rcode: 0, addresses: [[1, 2, 3, 4], Self.v6], ttl: 5))
        #expect(DNSMessage.addresses(for: "V6.test.example.", type: Self.aaaa, in: response) == ([Self.v6], 5))
    }

    @Test func refusalsCarryNoAnswersAndCopyRD() throws {
        var m = DNSTestMessage(id: 3, flags: 0x0000)  // RD=0
        m.name("blocked.example")
        m.question(type: Self.a)
        let query = try DNSMessage.parseQuery(m.bytes)
        for rcode: UInt8 in [2, 3, 5] {
            let bytes = DNSMessage.response(to: query, rcode: rcode, addresses: [], ttl: 0)
            #expect(bytes[2] == 0x80 && bytes[3] == 0x80 | rcode)
            let response = try DNSMessage.parseResponse(bytes)
            #expect(response.rcode == rcode)
            #expect(response.answers.isEmpty)
            #expect(response.question == query.question)
        }
    }

    @Test func ednsQueryGetsAnOPTInTheAnswer() throws {
        var m = DNSTestMessage(flags: 0x0100, additionals: 1)
        m.name("api.test.example")
        m.question(type: Self.a)
        m.opt()
        let query = try DNSMessage.parseQuery(m.bytes)
        let bytes = DNSMessage.response(to: query, rcode: 0, addresses: [[10, 0, 0, 1]], ttl: 60)
        #expect(bytes[11] == 1)
        #expect(Array(bytes.suffix(11)) == [0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0])
        #expect(try DNSMessage.parseResponse(bytes).answers.count == 1)
    }

    @Test func answersBeyondTheSizeLimitSetTC() throws {
        let query = try DNSMessage.parseQuery(DNSMessage.query(id: 1, name: "many.test.example", type: Self.aaaa))
        let addresses = (0..<40).map { i in Self.v6(UInt8(i)) }
        let udp = DNSMessage.response(to: query, rcode: 0, addresses: addresses, ttl: 60)
        #expect(udp.count <= 512)
        let cut = try DNSMessage.parseResponse(udp)
        #expect(cut.truncated)
        let fit = (512 - 12 - 19 - 4) / 28
        #expect(cut.answers.count == fit)
        let tcp = try DNSMessage.parseResponse(DNSMessage.response(to: query, rcode: 0, addresses: addresses, ttl: 60, maxSize: 65535))
        #expect(!tcp.truncated)
        #expect(tcp.answers.count == 40)
    }

    /// Shaped like a real answer for www.github.com: a CNAME whose target points into the
    /// question, then the target's A record owned through that same pointer.
    @Test func githubShapedCNAME() throws {
        var m = DNSTestMessage(id: 0xa1b2, flags: 0x8180, answers: 2)
        let question = m.name("www.github.com")
        m.question(type: Self.a)
        m.pointer(question)
        m.cname(ttl: 3600) { $0.pointer(question + 4) }  // "github.com" inside the question
        m.pointer(question + 4)
        m.record(type: Self.a, ttl: 60, data: [140, 82, 121, 4])
        let response = try DNSMessage.parseResponse(m.bytes)
        #expect(response.answers == [
            DNSRecord(name: "www.github.com", type: DNSMessage.typeCNAME, ttl: 3600, data: Array("github.com".utf8)),
            DNSRecord(name: "github.com", type: Self.a, ttl: 60, data: [140, 82, 121, 4]),
        ])
        #expect(DNSMessage.addresses(for: "www.github.com", type: Self.a, in: response) == ([[140, 82, 121, 4]], 60))
    }

    /// Shaped like a CDN answer: two CNAME hops, names compressed against earlier CNAME data,
    /// an RRSIG-like record of another type to skip, and an OPT in the additional section.
    @Test func cdnShapedChainWithCompression() throws {
        var m = DNSTestMessage(id: 7, flags: 0x8180, answers: 5, additionals: 1)
        let question = m.name("www.Microsoft.com")
        m.question(type: Self.aaaa)
        m.pointer(question)
        let edge = m.cname(ttl: 3600) { $0.name("www.microsoft.com-c-3.edgekey.net") }
        m.pointer(edge)
        let netSuffix = edge + 1 + 3 + 1 + 9 + 1 + 7 + 1 + 7  // "net" inside the first target
        let akamai = m.cname(ttl: 900) { $0.name("e13678.dscb.akamaiedge", then: netSuffix) }
        m.pointer(akamai)
        m.record(type: 46, ttl: 20, data: [UInt8](repeating: 0xAB, count: 40))  // RRSIG: skipped
        m.pointer(akamai)
        m.record(type: Self.aaaa, ttl: 20, data: Self.v6)
        m.pointer(akamai)
        m.record(type: Self.aaaa, ttl: 30, data: Self.v6(2))
        m.opt()
        let response = try DNSMessage.parseResponse(m.bytes)
        #expect(response.question == DNSQuestion(name: "www.microsoft.com", type: Self.aaaa))
        #expect(response.answers.count == 4)
        #expect(response.answers[1].data == Array("e13678.dscb.akamaiedge.net".utf8))
        let found = DNSMessage.addresses(for: "www.microsoft.com", type: Self.aaaa, in: response)
        #expect(found.addresses == [Self.v6, Self.v6(2)])
        #expect(found.ttl == 20)
        // Asking for the middle of the chain works too; for A there is nothing.
        #expect(DNSMessage.addresses(for: "www.microsoft.com-c-3.edgekey.net", type: Self.aaaa, in: response).ttl == 20)
        #expect(DNSMessage.addresses(for: "www.microsoft.com", type: Self.a, in: response) == ([], 0))
    }

    /// A chain of `hops` CNAMEs from n0 to n`hops`, which has one A record.
    static func chain(hops: Int) -> DNSResponse {
        var answers = (0..<hops).map { DNSRecord(name: "n\($0).test", type: DNSMessage.typeCNAME, ttl: UInt32(100 - $0), data: Array("n\($0 + 1).test".utf8)) }
        answers.append(DNSRecord(name: "n\(hops).test", type: DNSMessage.typeA, ttl: 500, data: [192, 0, 2, 9]))
        return DNSResponse(id: 0, rcode: 0, truncated: false, question: nil, answers: answers)
    }

    @Test func cnameChainsFollowAtMostEightHops() {
        #expect(DNSMessage.addresses(for: "n0.test", type: Self.a, in: Self.chain(hops: 8)) == ([[192, 0, 2, 9]], 93))
        #expect(DNSMessage.addresses(for: "n0.test", type: Self.a, in: Self.chain(hops: 9)) == ([], 0))
        #expect(DNSMessage.addresses(for: "n1.test", type: Self.a, in: Self.chain(hops: 9)).addresses.count == 1)
    }

    @Test func cnameLoopEnds() {
        let loop = DNSResponse(id: 0, rcode: 0, truncated: false, question: nil, answers: [
            DNSRecord(name: "a.test", type: DNSMessage.typeCNAME, ttl: 1, data: Array("b.test".utf8)),
            DNSRecord(name: "b.test", type: DNSMessage.typeCNAME, ttl: 1, data: Array("a.test".utf8)),
        ])
        #expect(DNSMessage.addresses(for: "a.test", type: Self.a, in: loop) == ([], 0))
    }

    @Test func responseNamesLowercasedOddRecordsSkipped() throws {
        var m = DNSTestMessage(flags: 0x8180, answers: 4)
        let question = m.name("Host.Test")
        m.question(type: Self.a)
        m.name("HOST.TEST")
        m.record(type: Self.a, ttl: 0x8000_0000, data: [192, 0, 2, 1])  // top bit set: TTL 0
        m.pointer(question)
        m.record(type: Self.a, qclass: 3, ttl: 60, data: [192, 0, 2, 2])  // class CH: skipped
        m.name("we ird.host.test")
        m.record(type: Self.a, ttl: 60, data: [192, 0, 2, 3])  // not representable: skipped
        m.pointer(question)
        m.record(type: 16, ttl: 60, data: [3, 0x61, 0x62, 0x63])  // TXT: skipped
        let response = try DNSMessage.parseResponse(m.bytes)
        #expect(response.question?.name == "host.test")
        #expect(response.answers == [DNSRecord(name: "host.test", type: Self.a, ttl: 0, data: [192, 0, 2, 1])])
    }

    @Test func onlyTheFirst64AnswersAreRead() throws {
        var m = DNSTestMessage(flags: 0x8180, answers: 1000)
        let question = m.name("big.test")
        m.question(type: Self.a)
        for i in 0..<70 {
            m.pointer(question)
            m.record(type: Self.a, ttl: 60, data: [10, 0, 0, UInt8(i)])
        }
        m.bytes += [0xFF, 0xFF, 0xFF]  // garbage after: never reached
        let response = try DNSMessage.parseResponse(m.bytes)
        #expect(response.answers.count == 64)
        #expect(DNSMessage.addresses(for: "big.test", type: Self.a, in: response).addresses.count == 64)
    }

    @Test func responseWithoutQuestion() throws {
        let response = try DNSMessage.parseResponse([0, 1, 0x81, 0x81, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(response == DNSResponse(id: 1, rcode: 1, truncated: false, question: nil, answers: []))
        #expect(try DNSMessage.parseResponse([0, 1, 0x83, 0x80, 0, 0, 0, 0, 0, 0, 0, 0]).truncated)
    }
}
