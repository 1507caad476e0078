import Testing
import WardenTestSupport
@testable import WardenNet

/// ClientHellos no honest client sends: each is `.malformed` (never a trap, never a hello).
extension TLSClientHelloTests {
    static func isMalformed(_ bytes: [UInt8]) -> Bool {
        if case .malformed = TLSClientHello.peek(bytes) { return true }
        return false
    }

    @Test func twoHostNamesAreMalformed() {
        let two = F.serverName([(0, Array("allowed.example".utf8)), (0, Array("evil.example".utf8))])
        #expect(TLSClientHello.peek(F.hello(extensions: two)) == .malformed("more than one host_name in server_name"))
        // Two server_name extensions: the second one is what a server might read.
        #expect(TLSClientHello.peek(F.hello(extensions: F.serverName("allowed.example"), F.serverName("evil.example"))) ==
                .malformed("extension 0 appears twice"))
        #expect(Self.isMalformed(F.hello(extensions: F.alpn(["h2"]), F.alpn(["http/1.1"]))))
    }

    @Test func invalidHostNamesAreMalformed() {
        let names: [[UInt8]] = [
            [], Array(".".utf8), Array("a..b".utf8), Array(".a".utf8), Array("a.b..".utf8), Array("under_score.example".utf8),
            Array("sp ace.example".utf8), Array("nul\u{0}.example".utf8), [0xC3, 0xA9, 0x2E, 0x61], Array("-lead.example".utf8),
            Array("trail-.example".utf8), Array("1.2.3.4:443".utf8), Array((String(repeating: "a", count: 64) + ".example").utf8),
            Array(([String](repeating: String(repeating: "a", count: 63), count: 3).joined(separator: ".") + "." + String(repeating: "b", count: 62)).utf8),
        ]
        for name in names {
            #expect(TLSClientHello.peek(F.hello(extensions: F.serverName([(0, name)]))) == .malformed("host_name is not a valid DNS name"),
                    "\(name)")
        }
        #expect(TLSClientHello.peek(F.hello(extensions: F.serverName([]))) == .malformed("server_name without a host_name"))
        #expect(TLSClientHello.peek(F.hello(extensions: F.serverName([(1, [1])]))) == .malformed("server_name without a host_name"))
    }

    @Test func innerLengthsAreChecked() {
        // server_name: list longer than the extension, shorter than the extension, entry past the list.
        #expect(Self.isMalformed(F.hello(extensions: F.ext(0, F.u16(20) + [0] + F.u16(3) + Array("a.b".utf8)))))
        #expect(Self.isMalformed(F.hello(extensions: F.ext(0, F.u16(6) + [0] + F.u16(3) + Array("a.b".utf8) + [0]))))
        #expect(Self.isMalformed(F.hello(extensions: F.ext(0, F.u16(6) + [0] + F.u16(9) + Array("a.b".utf8)))))
        // ALPN: empty list, empty name, name past the list.
        #expect(Self.isMalformed(F.hello(extensions: F.ext(16, F.u16(0)))))
        #expect(Self.isMalformed(F.hello(extensions: F.ext(16, F.u16(1) + [0]))))
        #expect(Self.isMalformed(F.hello(extensions: F.ext(16, F.u16(3) + [5, 0x68, 0x32]))))
        // An extension claiming more data than the extensions block holds.
        #expect(Self.isMalformed(F.hello(body: F.body(extensions: F.u16(0) + F.u16(100)))))
        // The extensions block claims more (or less) than the message holds.
        var body = F.body(extensions: F.serverName("a.test"))
        body[body.count - F.serverName("a.test").count - 1] &+= 1
        #expect(Self.isMalformed(F.hello(body: body)))
        #expect(Self.isMalformed(F.hello(body: F.body(extensions: F.serverName("a.test")) + [0])))
        // Session id over 32 bytes; odd or empty cipher suites; no compression methods.
        #expect(Self.isMalformed(F.hello(body: F.body(extensions: [], sessionID: [UInt8](repeating: 1, count: 33)))))
        var odd = F.body(extensions: [])
        odd[34 + 1 + 32 + 1] = 3
        #expect(Self.isMalformed(F.hello(body: odd)))
        var empty = [UInt8](F.body(extensions: nil).prefix(34 + 1 + 32)) + F.u16(0) + [1, 0]
        #expect(Self.isMalformed(F.hello(body: empty)))
        empty = [UInt8](F.body(extensions: nil).prefix(34 + 1 + 32)) + F.u16(2) + [0x13, 0x01, 0]
        #expect(Self.isMalformed(F.hello(body: empty)))
        // A body too short for version and random; an empty body.
        #expect(Self.isMalformed(F.hello(body: [3, 3, 0])))
        #expect(Self.isMalformed([22, 3, 1, 0, 4, 1, 0, 0, 0]))
    }

    @Test func recordAndHandshakeHeadersAreChecked() {
        #expect(TLSClientHello.peek([22, 3, 1, 0, 0]) == .malformed("empty handshake record"))
        #expect(TLSClientHello.peek([22, 3, 1, 0x41, 0x01]) == .malformed("record of 16641 bytes (more than 16640)"))
        #expect(TLSClientHello.peek([22, 3, 0]) == .malformed("record version 3.0"))
        #expect(TLSClientHello.peek([22, 3, 5]) == .malformed("record version 3.5"))
        #expect(TLSClientHello.peek([22, 3, 1, 0, 4, 2]) == .malformed("handshake message of type 2, not ClientHello"))
        // A handshake length beyond what is reassembled, even before its bytes arrive.
        #expect(TLSClientHello.peek([22, 3, 1, 0x40, 0x00, 1, 0, 0x3F, 0xFD]) == .malformed("ClientHello of 16381 bytes (more than 16 KiB)"))
        #expect(TLSClientHello.peek([22, 3, 1, 0x40, 0x00, 1, 0xFF, 0xFF, 0xFF]) == .malformed("ClientHello of 16777215 bytes (more than 16 KiB)"))
        // The hello continued in a record of another content type or version.
        let handshake = F.handshake(of: F.sni)
        var split = F.records(handshake, size: 200)
        split[205] = 21  // the second record becomes an alert
        #expect(TLSClientHello.peek(split) == .malformed("record of content type 21 inside the ClientHello"))
        split[205] = 22
        split[206] = 2
        #expect(TLSClientHello.peek(split) == .malformed("record version major 2"))
        // A record length overstating the data: the hello inside is complete all the same.
        var long = F.sni
        long[4] &+= 1
        #expect(TLSClientHello.peek(long) == Self.realHellos[0].expected)
        // A handshake length overstating the record: the rest must come in another record.
        long = F.sni
        long[8] &+= 1
        #expect(TLSClientHello.peek(long) == .needMore(517 + 5 + 1))
        #expect(Self.isMalformed(long + [22, 3, 1, 0, 1, 0]))
    }

    /// The largest hello accepted: 16 KiB of handshake over two records.
    @Test func largeHelloAcrossRecords() {
        let padding = F.ext(21, [UInt8](repeating: 0, count: 16384 - 4 - F.body(extensions: []).count - F.serverName("a.test").count - 4))
        let body = F.body(extensions: F.serverName("a.test") + padding)
        let handshake = [1] + F.u24(body.count) + body
        #expect(handshake.count == 16384)
        #expect(TLSClientHello.peek(F.records(handshake, size: 16384)) == .hello(serverName: "a.test", encryptedClientHello: false, alpn: []))
        #expect(TLSClientHello.peek(F.records(handshake, size: 9000)) == .hello(serverName: "a.test", encryptedClientHello: false, alpn: []))
        let bigger = F.body(extensions: F.serverName("a.test") + padding + [0])
        #expect(Self.isMalformed(F.records([1] + F.u24(bigger.count) + bigger, size: 9000)))
    }

    /// Random corruption of the real hellos: never a trap; anything read as a hello is still
    /// not malformed at any of several prefixes; needMore always asks for more than it has.
    @Test func mutatedHellosNeverTrap() {
        var rng = SplitMix64(state: 0x7151)
        let seeds = Self.realHellos.map(\.bytes) + [F.records(F.handshake(of: F.alpn), size: 150)]
        var hellos = 0
        for round in 0..<4_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[i] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes[i] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
                default: bytes = Array(bytes.prefix(i + 1))
                }
            }
            switch TLSClientHello.peek(bytes) {
            case .hello:
                hellos += 1
                for _ in 0..<3 {
                    let prefix = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
                    #expect(!Self.isMalformed(prefix), "round \(round)")
                }
            case .needMore(let n):
                #expect(n > bytes.count, "round \(round)")
            case .notTLS, .malformed:
                break
            }
        }
        #expect(hellos > 100)
    }
}
