/// sed scripts. GNU sed runs shell commands with the `e` command and the `s///e` flag; a
/// script given inline is parsed just enough to find them (addresses, regexes, text
/// arguments skipped), and anything it cannot parse is refused rather than guessed at. A
/// script file is not inline code unless it is a stream. `--sandbox` disables `e`.
enum SedScript {
    static func check(_ name: String, _ args: ArraySlice<String>) -> String? {
        var scripts: [String] = []
        var fromOption = false
        var rest = args
        var operands: [String] = []
        while let a = rest.first {
            rest = rest.dropFirst()
            if a == "--" { operands += rest; break }
            if let (opt, attached) = CommandRunners.long(a) {
                if CommandRunners.abbreviates(opt, ["sandbox"]) != nil { return nil }
                if CommandRunners.abbreviates(opt, ["expression"]) != nil {
                    fromOption = true
                    if let v = CommandRunners.value(attached, &rest) { scripts.append(v) }
                } else if CommandRunners.abbreviates(opt, ["file"]) != nil {
                    fromOption = true
                    if let v = CommandRunners.value(attached, &rest), let why = StreamPath.why(v) { return "\(name) -f: \(why)" }
                } else if attached == nil, CommandRunners.abbreviates(opt, ["line-length"]) != nil {
                    rest = rest.dropFirst()
                }
                continue
            }
            guard a.hasPrefix("-"), a.count > 1 else { operands.append(a); continue }
            var letters = a.dropFirst()
            while let ch = letters.first {
                letters = letters.dropFirst()
                if ch == "i" { break }  // -i[SUFFIX]: the rest is the suffix
                guard ch == "e" || ch == "f" || ch == "l" else { continue }
                let v = letters.isEmpty ? rest.first : String(letters)
                if letters.isEmpty { rest = rest.dropFirst() }
                if ch == "e" { fromOption = true; if let v { scripts.append(v) } }
                if ch == "f" {
                    fromOption = true
                    if let v, let why = StreamPath.why(v) { return "\(name) -f: \(why)" }
                }
                break
            }
        }
        if !fromOption, let first = operands.first { scripts.append(first) }
        for s in scripts {
            if let why = executes(s) { return "\(name) script: \(why)" }
        }
        return nil
    }

    /// Why the script runs a shell command (or cannot be parsed), or nil.
    static func executes(_ script: String) -> String? {
        let b = Array(script.utf8)
        var i = 0
        func at(_ c: Character) -> Bool { i < b.count && b[i] == c.asciiValue }
        func skipBlanks() { while i < b.count && (b[i] == 0x20 || b[i] == 0x09) { i += 1 } }
        func skipTo(_ stops: [UInt8]) { while i < b.count && !stops.contains(b[i]) { i += 1 } }
        /// Skips a delimited part (`/re/`), honouring backslash escapes.
        func part(_ d: UInt8) {
            while i < b.count {
                if b[i] == 0x5C { i += 2; continue }
                if b[i] == d { i += 1; return }
                i += 1
            }
        }
        func address() {
            guard i < b.count else { return }
            if b[i] >= 0x30 && b[i] <= 0x39 {
                while i < b.count && ((b[i] >= 0x30 && b[i] <= 0x39) || b[i] == UInt8(ascii: "~")) { i += 1 }
            } else if at("$") {
                i += 1
            } else if at("/") || at("\\") {
                if at("\\") { i += 1 }
                guard i < b.count else { return }
                let d = b[i]
                i += 1
                part(d)
                while at("I") || at("M") { i += 1 }
            } else if at("+") || at("~") {
                i += 1
                while i < b.count && b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
            }
        }
        let newline: UInt8 = 0x0A, semi = UInt8(ascii: ";"), close = UInt8(ascii: "}"), hash = UInt8(ascii: "#")
        while true {
            while i < b.count && (b[i] == 0x20 || b[i] == 0x09 || b[i] == newline || b[i] == semi) { i += 1 }
            guard i < b.count else { return nil }
            address()
            skipBlanks()
            if at(",") { i += 1; skipBlanks(); address() }
            skipBlanks()
            while at("!") { i += 1; skipBlanks() }
            guard i < b.count else { return nil }
            let c = Character(UnicodeScalar(b[i]))
            i += 1
            switch c {
            case "{", "}": continue
            case "#": skipTo([newline])
            case ":", "b", "t", "T", "v": skipTo([newline, semi])
            case "r", "R", "w", "W": skipTo([newline])
            case "a", "i", "c":
                while i < b.count && b[i] != newline { i += b[i] == 0x5C ? 2 : 1 }
            case "e": return "the e command runs a shell command"
            case "s":
                guard i < b.count else { return nil }
                let d = b[i]
                i += 1
                part(d)
                part(d)
                while i < b.count && ![semi, newline, close, hash].contains(b[i]) {
                    switch b[i] {
                    case UInt8(ascii: "e"): return "the s///e flag runs the pattern space as a shell command"
                    case UInt8(ascii: "w"): skipTo([newline])
                    case UInt8(ascii: "g"), UInt8(ascii: "p"), UInt8(ascii: "i"), UInt8(ascii: "I"), UInt8(ascii: "m"), UInt8(ascii: "M"),
                         0x30...0x39, 0x20, 0x09:
                        i += 1
                    default: return "unrecognised s flag; refused rather than guessed"
                    }
                }
            case "y":
                guard i < b.count else { return nil }
                let d = b[i]
                i += 1
                part(d)
                part(d)
            case "q", "Q", "l", "L":
                skipBlanks()
                while i < b.count && b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
            case "=", "d", "D", "g", "G", "h", "H", "n", "N", "p", "P", "x", "z", "F": continue
            default: return "unrecognised command `\(c)`; refused rather than guessed"
            }
        }
    }
}
