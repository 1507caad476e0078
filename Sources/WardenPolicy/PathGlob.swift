import WardenCore
#if canImport(Glibc)
import Glibc
#endif
/// A deny glob over absolute paths: segments separated by `/`; `**` matches zero or more
/// whole segments, `*` any run of characters within one segment, `?` one character.
/// A pattern is absolute (`/home/*/.aws/**`) or starts with `**/` (anywhere).
///
/// Matching is ASCII case-insensitive on purpose: a case-folding filesystem (vfat, ext4
/// casefold) opens `.SSH` as `.ssh`, so a deny rule must not be dodged by spelling.
public struct PathGlob: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String
    /// Lowercased segments; `**` is kept as a segment of its own.
    let segments: [[UInt8]]

    public init(_ pattern: String) throws(PolicyFieldError) {
        guard !pattern.isEmpty else { throw PolicyFieldError("a glob must not be empty") }
        guard pattern.hasPrefix("/") || pattern.hasPrefix("**/") else {
            throw PolicyFieldError("glob \"\(pattern)\" must be absolute or start with **/")
        }
        guard !pattern.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw PolicyFieldError("glob \"\(pattern)\" contains a control character")
        }
        let parts = pattern.split(separator: "/", omittingEmptySubsequences: true).map { Array($0.utf8) }
        for part in parts {
            if part == Array(".".utf8) || part == Array("..".utf8) {
                throw PolicyFieldError("glob \"\(pattern)\" must not contain . or .. segments")
            }
            if part.contains(UInt8(ascii: "[")) || part.contains(UInt8(ascii: "{")) {
                throw PolicyFieldError("glob \"\(pattern)\": character classes and braces are not supported")
            }
            if part != Array("**".utf8), part.count >= 2, zip(part, part.dropFirst()).contains(where: { $0 == UInt8(ascii: "*") && $1 == UInt8(ascii: "*") }) {
                throw PolicyFieldError("glob \"\(pattern)\": ** must be a whole segment")
            }
        }
        guard !parts.isEmpty else { throw PolicyFieldError("glob \"\(pattern)\" matches every path") }
        if parts.allSatisfy({ $0 == Array("**".utf8) }) { throw PolicyFieldError("glob \"\(pattern)\" matches every path") }
        self.pattern = pattern
        self.segments = parts.map { $0.map(PathGlob.fold) }
        // Each non-`**` segment matches exactly one path segment, so a literal one must
        // appear in any matching path as a whole segment: a cheap test that rejects most paths.
        anchor = segments.filter { $0 != PathGlob.doubleStar && !$0.contains(UInt8(ascii: "*")) && !$0.contains(UInt8(ascii: "?")) }
            .max { $0.count < $1.count }
    }

    /// The longest literal segment (folded), if the pattern has one.
    let anchor: [UInt8]?

    /// True when `path` (folded, flat) has a segment equal to `anchor`.
    static func hasSegment(_ path: UnsafeBufferPointer<UInt8>, _ anchor: [UInt8]) -> Bool {
        var at = 0
        while at < path.count {
            let end = segmentEnd(path, at)
            if end - at - 1 == anchor.count, anchor.withUnsafeBufferPointer({ a in memcmp(a.baseAddress!, path.baseAddress! + at + 1, a.count) == 0 }) {
                return true
            }
            at = end
        }
        return false
    }

    public var description: String { pattern }

    static func fold(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b + 32 : b }

    /// True when the normalized absolute `path` matches.
    public func matches(_ path: NormalizedPath) -> Bool {
        PathGlob.withFolded(path) { matches(folded: $0) }
    }

    /// Matches an ASCII-folded path in the flat form `/a/b` (empty for the root).
    func matches(folded: UnsafeBufferPointer<UInt8>) -> Bool {
        if let anchor, !PathGlob.hasSegment(folded, anchor) { return false }
        return PathGlob.match(segments, 0, folded, 0)
    }

    /// The first of `globs` matching any of `paths` (each path folded once, not per glob).
    static func firstMatch(_ globs: [PathGlob], _ paths: NormalizedPath...) -> PathGlob? {
        guard !globs.isEmpty else { return nil }
        for (i, p) in paths.enumerated() where i == 0 || p != paths[i - 1] {
            if let g = withFolded(p, { f in globs.first(where: { $0.matches(folded: f) }) }) { return g }
        }
        return nil
    }

    /// Calls `body` with the path's bytes ASCII-folded, copying only when it has capitals,
    /// and with the root as the empty path (no segments).
    static func withFolded<R>(_ path: NormalizedPath, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if path.isRoot { return body(UnsafeBufferPointer(start: nil, count: 0)) }
        if path.bytes.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) {
            return path.bytes.map(fold).withUnsafeBufferPointer(body)
        }
        return path.bytes.withUnsafeBufferPointer(body)
    }

    static let doubleStar = Array("**".utf8)
    private static let slash = UInt8(ascii: "/")

    /// The end of the segment starting after the `/` at `at`.
    private static func segmentEnd(_ path: UnsafeBufferPointer<UInt8>, _ at: Int) -> Int {
        var e = at + 1
        while e < path.count, path[e] != slash { e += 1 }
        return e
    }

    // `at` is the offset of a segment's leading `/`, or `path.count` when no segment is left.
    private static func match(_ pat: [[UInt8]], _ pi: Int, _ path: UnsafeBufferPointer<UInt8>, _ at: Int) -> Bool {
        var pi = pi, at = at
        while pi < pat.count {
            if pat[pi] == doubleStar {
                if pi + 1 == pat.count { return true }
                var k = at
                while true {
                    if match(pat, pi + 1, path, k) { return true }
                    if k >= path.count { return false }
                    k = segmentEnd(path, k)
                }
            }
            guard at < path.count else { return false }
            let end = segmentEnd(path, at)
            guard segmentMatch(pat[pi][...], UnsafeBufferPointer(rebasing: path[(at + 1)..<end])) else { return false }
            pi += 1
            at = end
        }
        return at == path.count
    }

    private static func segmentMatch(_ pat: ArraySlice<UInt8>, _ s: UnsafeBufferPointer<UInt8>) -> Bool {
        var p = pat.startIndex, i = s.startIndex
        var starP = -1, starI = -1
        while i < s.endIndex {
            if p < pat.endIndex, pat[p] == UInt8(ascii: "?") || pat[p] == s[i] {
                p += 1; i += 1
            } else if p < pat.endIndex, pat[p] == UInt8(ascii: "*") {
                starP = p; starI = i; p += 1
            } else if starP >= 0 {
                p = starP + 1; starI += 1; i = starI
            } else {
                return false
            }
        }
        while p < pat.endIndex, pat[p] == UInt8(ascii: "*") { p += 1 }
        return p == pat.endIndex
    }
}

/// A field-level validation failure; the loader adds file, line, column and field.
public struct PolicyFieldError: Error, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
}

extension PathGlob {
    /// `ProtectedNames.nestedGitGlob` as a glob (a constant pattern: parsing cannot fail).
    public static let nestedGit: [PathGlob] = (try? PathGlob(ProtectedNames.nestedGitGlob)).map { [$0] } ?? []
}
