/// Recognises program files that stand for a stream the caller controls rather than a file
/// (`/dev/stdin`, `/dev/fd/3`, `/proc/self/fd/0`, `/dev/tty` ...), and `data:` URLs. Reading
/// a program from one of them is inline code: the caller writes the code into the stream.
///
/// The class is lexical and wide on purpose: any path that normalises under `/dev` (except
/// `/dev/null`) or `/proc`. The sandbox's `/dev` holds only device nodes and fd links (and
/// `/dev/fd` is a symlink to `/proc/self/fd`), and `/proc` holds only kernel views — some of
/// them caller-written (`/proc/self/cmdline`, `/proc/self/environ`) — so no real program
/// lives there and no alias (`/dev/./stdin`, `//dev//fd/0`, `/proc/self/../1/fd/0`,
/// `/proc/thread-self/fd/0`, `/proc/42/task/42/fd/0`) has to be enumerated.
enum StreamPath {
    /// Why `s`, used as a program file, is inline code; nil for an ordinary file name.
    /// `dashIsStdin`: whether a lone `-` counts (it does for script operands and `-f`).
    static func why(_ s: String, dashIsStdin: Bool = true) -> String? {
        let u = s.utf8
        guard let first = u.first else { return nil }
        if s == "-" { return dashIsStdin ? "`-` reads the program from stdin" : nil }
        // Fast path: a stream path mentions `dev` or `proc`; a URL has a `:`.
        if first == UInt8(ascii: "d") || first == UInt8(ascii: "D") || first == UInt8(ascii: "f") || first == UInt8(ascii: "F")
            || first == UInt8(ascii: "p") || first == UInt8(ascii: "P") {
            if let r = url(s) { return r }
        }
        guard contains(u, "dev") || contains(u, "proc") else { return nil }
        return isStreamPath(Substring(s)) ? "\"\(s.prefix(60))\" names a stream the caller controls" : nil
    }

    /// `data:` URLs are code inline; `php://` wrappers are streams; `file:` URLs are paths.
    private static func url(_ s: String) -> String? {
        let lower = s.prefix(8).lowercased()
        if lower.hasPrefix("data:") { return "\"\(s.prefix(40))\" is a data: URL: inline code" }
        if lower.hasPrefix("php://") { return "\"\(s.prefix(40))\" is a PHP stream wrapper" }
        guard lower.hasPrefix("file:") else { return nil }
        var rest = Substring(s).dropFirst(5)
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            // `file://host/path`: skip the authority.
            guard let slash = rest.firstIndex(of: "/") else { return nil }
            rest = rest[slash...]
        }
        return isStreamPath(Substring(percentDecoded(rest))) ? "\"\(s.prefix(60))\" names a stream the caller controls" : nil
    }

    /// Lexical normalisation (`//`, `.`, `..` clamped at the root). A relative path is judged
    /// as if the working directory were `/` (leading `..` climbs are dropped): the detector
    /// does not know the working directory, and `/` is the one that can reach `/dev`.
    static func isStreamPath(_ s: Substring) -> Bool {
        var comps: [Substring] = []
        for c in s.split(separator: "/", omittingEmptySubsequences: true) {
            if c == "." { continue }
            if c == ".." {
                if !comps.isEmpty { comps.removeLast() }
                continue
            }
            comps.append(c)
        }
        guard comps.count >= 2 else { return false }
        if comps[0] == "proc" { return true }
        if comps[0] == "dev" { return !(comps.count == 2 && comps[1] == "null") }
        return false
    }

    private static func contains(_ u: String.UTF8View, _ needle: String) -> Bool {
        let n = Array(needle.utf8)
        guard let n0 = n.first else { return true }
        var i = u.startIndex
        while let j = u[i...].firstIndex(of: n0) {
            if u[j...].starts(with: n) { return true }
            i = u.index(after: j)
        }
        return false
    }

    private static func percentDecoded(_ s: Substring) -> String {
        guard s.contains("%") else { return String(s) }
        var out: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let b = it.first {
            it = it.dropFirst()
            if b == UInt8(ascii: "%"), it.count >= 2, let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) {
                out.append(v)
                it = it.dropFirst(2)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
