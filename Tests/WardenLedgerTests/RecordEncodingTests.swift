import Testing
import WardenCore
@testable import WardenLedger

/// The appender writes the signature's base64url straight into the record bytes; it must
/// spell it exactly as `Base64URL.encode` (the verifier's strict decoder and canonical
/// check depend on one spelling).
@Suite struct RecordEncodingTests {
    @Test func base64URLWriterMatchesBase64URLEncode() {
        var rng = SystemRandomNumberGenerator()
        for length in 0...130 {
            for _ in 0..<8 {
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
                var out: [UInt8] = [0x7B]
                RecordEncoding.writeBase64URL(bytes, into: &out)
                #expect(Array(out.dropFirst()) == Array(Base64URL.encode(bytes).utf8), "length \(length)")
            }
        }
        // Every digit value appears (the alphabet's last two characters included).
        var all: [UInt8] = []
        RecordEncoding.writeBase64URL([0xFB, 0xFF, 0xBF, 0x00, 0x10, 0x83], into: &all)
        #expect(String(decoding: all, as: UTF8.self) == Base64URL.encode([0xFB, 0xFF, 0xBF, 0x00, 0x10, 0x83]))
    }

    @Test func signedRecordBytesAreTheSameEitherWay() {
        let head = Array(#"{"actor":"a","decision":null,"details":{},"event":"e","kid":"k","node":"n","prev":"00","seq":1"#.utf8)
        let tail = Array(#","subject":"s","tenant":"t","time":5}"#.utf8)
        for length in [0, 1, 2, 3, 63, 64, 65] {
            let sig = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(RecordEncoding.signed(head: head, signature: sig, tail: tail)
                == RecordEncoding.signed(head: head, sig: Base64URL.encode(sig), tail: tail))
        }
    }
}
