/// ld.so's dynamic string tokens ($ORIGIN, $LIB, $PLATFORM, also written ${NAME}) in
/// DT_RPATH, DT_RUNPATH and DT_NEEDED.
struct DynamicStringTokens: Sendable {
    /// The directory of the object the string belongs to.
    let origin: String
    /// What $LIB means; see `LibraryResolver.init`.
    let lib: String
    let platform: String

    /// The expanded text and whether it used $ORIGIN; nil when the result would exceed
    /// `ELFLimits.maxStringLength` (longer than PATH_MAX: no loader could open it either).
    /// An unknown token is kept as written, as ld.so does.
    func expand(_ text: String) -> (text: String, usedOrigin: Bool)? {
        guard text.utf8.contains(UInt8(ascii: "$")) else { return (text, false) }
        let input = Array(text.utf8)
        var output: [UInt8] = []
        var usedOrigin = false
        var i = 0
        while i < input.count {
            guard input[i] == UInt8(ascii: "$"), let (name, length) = Self.token(input, at: i) else {
                output.append(input[i])
                i += 1
                continue
            }
            let replacement: String
            switch name {
            case "ORIGIN": replacement = origin; usedOrigin = true
            case "LIB": replacement = lib
            default: replacement = platform
            }
            output += replacement.utf8
            i += length
            guard output.count <= ELFLimits.maxStringLength else { return nil }
        }
        guard output.count <= ELFLimits.maxStringLength else { return nil }
        return (String(decoding: output, as: UTF8.self), usedOrigin)
    }

    /// The known token starting at the '$' at `at`, and its length including '$' and braces.
    /// "$ORIGINX" is no token: the name must end at a character that cannot continue it.
    private static func token(_ input: [UInt8], at: Int) -> (String, Int)? {
        for name in ["ORIGIN", "LIB", "PLATFORM"] {
            let word = Array(name.utf8)
            let rest = input[(at + 1)...]
            if rest.starts(with: word) {
                let next = at + 1 + word.count
                if next == input.count || !isNameCharacter(input[next]) { return (name, 1 + word.count) }
            }
            if rest.starts(with: [UInt8(ascii: "{")] + word + [UInt8(ascii: "}")]) { return (name, 3 + word.count) }
        }
        return nil
    }

    private static func isNameCharacter(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_")
    }

    /// The directory part of a path, as ld.so computes an object's origin.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
