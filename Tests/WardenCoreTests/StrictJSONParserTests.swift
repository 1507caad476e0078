import Testing
import WardenTestSupport
@testable import WardenCore

@Suite struct StrictJSONParserTests {
    func code(_ text: String) -> String? {
        do {
            _ = try StrictJSONParser.parse(text)
            return nil
        } catch {
            return error.code
        }
    }

    @Test(arguments: [
        (#"{"a":1,"a":2}"#, "json.duplicate_key"),
        (#"{"a":1.5}"#, "json.non_integer"),
        (#"{"a":1e3}"#, "json.non_integer"),
        (#"[01]"#, "json.syntax"),
        (#"[9223372036854775808]"#, "json.number_range"),
        (#"[-9223372036854775809]"#, "json.number_range"),
        (#"{"a":1} x"#, "json.trailing_data"),
        (#"["\ud800"]"#, "json.bad_escape"),
        (#"["\udc00"]"#, "json.bad_escape"),
        (#"["\x"]"#, "json.bad_escape"),
        ("[\"a\u{01}\"]", "json.control_char"),
        (#"{"a":}"#, "json.syntax"),
        (#"[1,]"#, "json.syntax"),
        (#"{,}"#, "json.syntax"),
        (#"tru"#, "json.syntax"),
        ("", "json.syntax"),
        (#"{"a" 1}"#, "json.syntax"),
        (#"[-]"#, "json.syntax"),
        (#"'a'"#, "json.syntax"),
        (#"NaN"#, "json.syntax"),
    ])
    func rejects(text: String, expected: String) {
        #expect(code(text) == expected)
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: WardenError.self) { try StrictJSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test func rejectsExcessiveNesting() {
        #expect(code(String(repeating: "[", count: 40) + String(repeating: "]", count: 40)) == "json.too_deep")
        #expect(code(String(repeating: "[", count: 20) + String(repeating: "]", count: 20)) == nil)
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let v = try StrictJSONParser.parse(#"["\u00e9\ud83d\ude00\n\/"]"#)
        #expect(v == ["é😀\n/"])
    }

    @Test func acceptsExtremeIntegers() throws {
        #expect(try StrictJSONParser.parse("[-9223372036854775808, 9223372036854775807, 0, -0]")
            == [.int(Int64.min), .int(Int64.max), 0, 0])
    }
}

/// Property test standing in for a fuzzer in the normal test run (the libFuzzer target is in
/// Sources/warden-fuzz; see docs/FUZZING.md). Random and mutated inputs must never trap, and
/// whatever parses must re-encode canonically to a fixed point.
@Suite struct JSONPropertyTests {

    static func randomValue(_ rng: inout SplitMix64, depth: Int) -> JSONValue {
        switch rng.next() % (depth > 3 ? 4 : 6) {
        case 0: return .null
        case 1: return .bool(rng.next() % 2 == 0)
        case 2: return .int(Int64(bitPattern: rng.next()) >> Int64(rng.next() % 63))
        case 3:
            let scalars = (0..<(rng.next() % 8)).compactMap { _ in Unicode.Scalar(UInt32(rng.next() % 0x800)) }
            return .string(String(String.UnicodeScalarView(scalars)))
        case 4: return .array((0..<(rng.next() % 4)).map { _ in randomValue(&rng, depth: depth + 1) })
        default:
            var o: [String: JSONValue] = [:]
            for _ in 0..<(rng.next() % 4) { o["k\(rng.next() % 10)"] = randomValue(&rng, depth: depth + 1) }
            return .object(o)
        }
    }

    @Test func canonicalEncodingRoundTripsRandomValues() throws {
        var rng = SplitMix64(state: 0x5EED)
        for _ in 0..<2000 {
            let v = Self.randomValue(&rng, depth: 0)
            let bytes = CanonicalJSON.encode(v)
            let back = try StrictJSONParser.parse(bytes)
            #expect(back == v)
            #expect(CanonicalJSON.encode(back) == bytes)
        }
    }

    @Test func mutatedInputsNeverTrapAndParsedOnesAreFixedPoints() {
        var rng = SplitMix64(state: 0xF00D)
        let seeds = [#"{"a":[1,2,{"b":"c\u00e9"}],"d":null,"e":true}"#, #"["x\ud83d\ude00",-5,{}]"#]
        var parsed = 0
        for i in 0..<20000 {
            var bytes = Array(seeds[i % seeds.count].utf8)
            for _ in 0...(rng.next() % 4) {
                let pos = Int(rng.next() % UInt64(bytes.count + 1))
                switch rng.next() % 3 {
                case 0 where pos < bytes.count: bytes[pos] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: pos)
                default: if pos < bytes.count { bytes.remove(at: pos) }
                }
            }
            if let v = try? StrictJSONParser.parse(bytes) {
                parsed += 1
                #expect((try? StrictJSONParser.parse(CanonicalJSON.encode(v))) == v)
            }
        }
        #expect(parsed > 0)
    }

    @Test func base64URLRoundTripsAndRejectsNonCanonical() {
        var rng = SplitMix64(state: 7)
        for n in 0..<200 {
            let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let text = Base64URL.encode(bytes)
            #expect(Base64URL.decode(text) == bytes)
            #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
        }
        #expect(Base64URL.decode("AB") == nil)  // unused bits set: "AA" is canonical for [0]
        #expect(Base64URL.decode("AA") == [0])
        #expect(Base64URL.decode("A") == nil)
        #expect(Base64URL.decode("AA==") == nil)
    }
}
