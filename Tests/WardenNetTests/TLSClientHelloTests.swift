import Testing
import WardenTestSupport
@testable import WardenNet

@Suite struct TLSClientHelloTests {
    typealias F = TLSFixtures

    static let realHellos: [(name: String, bytes: [UInt8], expected: TLSClientHello.Peek)] = [
        ("sni", F.sni, .hello(serverName: "api.test.example", encryptedClientHello: false, alpn: [])),
        ("noSNI", F.noSNI, .hello(serverName: nil, encryptedClientHello: false, alpn: [])),
        ("alpn", F.alpn, .hello(serverName: "api.test.example", encryptedClientHello: false, alpn: ["h2", "http/1.1"])),
    ]

    @Test func realHellos() {
        for hello in Self.realHellos {
            #expect(hello.bytes.count == 517, "\(hello.name)")
            #expect(TLSClientHello.peek(hello.bytes) == hello.expected, "\(hello.name)")
        }
    }

    /// Every prefix of a valid hello asks for more (and never for more than the whole hello).
    @Test func everyPrefixNeedsMore() {
        for hello in Self.realHellos {
            for length in 0..<hello.bytes.count {
                let peek = TLSClientHello.peek(Array(hello.bytes.prefix(length)))
                guard case .needMore(let n) = peek else {
                    Issue.record("\(hello.name) prefix \(length): \(peek)")
                    continue
                }
                #expect(n > length && n <= hello.bytes.count, "\(hello.name) prefix \(length): needMore(\(n))")
            }
        }
    }

    @Test func helloSplitAcrossRecords() {
        for hello in Self.realHellos {
            let handshake = F.handshake(of: hello.bytes)
            for size in [1, 3, 4, 5, 100, 511] {
                let split = F.records(handshake, size: size, version: 3)
                #expect(TLSClientHello.peek(split) == hello.expected, "\(hello.name) in \(size)-byte records")
            }
            let split = F.records(handshake, size: 100)
            for length in 0..<split.count {
                let peek = TLSClientHello.peek(Array(split.prefix(length)))
                guard case .needMore(let n) = peek else {
                    Issue.record("\(hello.name) split prefix \(length): \(peek)")
                    continue
                }
                #expect(n > length && n <= split.count, "\(hello.name) split prefix \(length): needMore(\(n))")
            }
        }
    }

    @Test func needMoreValues() {
        #expect(TLSClientHello.peek([]) == .needMore(1))
        #expect(TLSClientHello.peek([22]) == .needMore(2))
        #expect(TLSClientHello.peek([22, 3]) == .needMore(3))
        #expect(TLSClientHello.peek([22, 3, 1]) == .needMore(5))
        #expect(TLSClientHello.peek([22, 3, 1, 2, 0]) == .needMore(9))  // the handshake header first
        #expect(TLSClientHello.peek(Array(F.sni.prefix(9))) == .needMore(517))
        // The record ends before the hello does: the next record's header and the rest.
        let split = F.records(F.handshake(of: F.sni), size: 100)
        #expect(TLSClientHello.peek(Array(split.prefix(105))) == .needMore(105 + 5 + 412))
    }

    @Test func bytesAfterTheHelloAreIgnored() {
        // TLS 1.3 middlebox-compatible clients may follow with change_cipher_spec, then early data.
        let more = F.sni + [20, 3, 3, 0, 1, 1] + [23, 3, 3, 0, 3, 1, 2, 3]
        #expect(TLSClientHello.peek(more) == Self.realHellos[0].expected)
        // A record holding the end of the hello and more handshake bytes after it.
        var handshake = F.handshake(of: F.sni)
        handshake += [0xEE, 0xEE]
        #expect(TLSClientHello.peek(F.records(handshake, size: 300)) == Self.realHellos[0].expected)
    }

    @Test func serverNameIsNormalized() {
        #expect(TLSClientHello.peek(F.hello(extensions: F.serverName("API.Test.Example."))) ==
                .hello(serverName: "api.test.example", encryptedClientHello: false, alpn: []))
        let longest = [String](repeating: String(repeating: "a", count: 63), count: 3).joined(separator: ".") + "." + String(repeating: "b", count: 61)
        #expect(longest.utf8.count == 253)
        #expect(TLSClientHello.peek(F.hello(extensions: F.serverName(longest))) ==
                .hello(serverName: longest, encryptedClientHello: false, alpn: []))
        #expect(TLSClientHello.peek(F.hello(extensions: F.serverName("xn--bcher-kva.example"))) ==
                .hello(serverName: "xn--bcher-kva.example", encryptedClientHello: false, alpn: []))
        // Entries of other name types are skipped.
        #expect(TLSClientHello.peek(F.hello(extensions: F.serverName([(1, [1, 2, 3]), (0, Array("a.test".utf8))]))) ==
                .hello(serverName: "a.test", encryptedClientHello: false, alpn: []))
    }

    @Test func encryptedClientHelloIsFlagged() {
        let ech = F.ext(0xfe0d, [0, 0, 1, 0, 1, 7, 0, 0, 0, 0])
        #expect(TLSClientHello.peek(F.hello(extensions: F.serverName("public.example"), ech, F.alpn(["h2"]))) ==
                .hello(serverName: "public.example", encryptedClientHello: true, alpn: ["h2"]))
    }

    @Test func helloWithoutExtensions() {
        #expect(TLSClientHello.peek(F.hello(body: F.body(extensions: nil))) ==
                .hello(serverName: nil, encryptedClientHello: false, alpn: []))
        #expect(TLSClientHello.peek(F.hello(body: F.body(extensions: []))) ==
                .hello(serverName: nil, encryptedClientHello: false, alpn: []))
    }

    @Test func notTLS() {
        for text in ["GET / HTTP/1.1\r\nHost: api.test.example\r\n\r\n", "SSH-2.0-OpenSSH_9.6\r\n", "G", "\u{16}\u{0}"] {
            #expect(TLSClientHello.peek(Array(text.utf8)) == .notTLS, "\(text)")
        }
        // An SSLv2-compatible ClientHello (2-byte header with the high bit set, msg type 1).
        let sslv2: [UInt8] = [0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10]
            + [0x07, 0x00, 0xc0, 0x05, 0x00, 0x80, 0x03, 0x00, 0x80, 0x01, 0x00, 0x80, 0x00, 0x00, 0x04, 0x00, 0x00, 0x05, 0x00, 0x00, 0x0a]
            + [UInt8](repeating: 0x42, count: 16)
        #expect(TLSClientHello.peek(sslv2) == .notTLS)
        #expect(TLSClientHello.peek([0x80]) == .notTLS)
    }
}
