/// An absolute path reduced lexically: no empty, `.` or `..` segments, no trailing slash.
/// `..` at the root stays at the root, as the kernel does. Symlinks are not resolved here;
/// the decision also checks the resolved form the caller's `FileSystemView` reports.
public struct NormalizedPath: Sendable, Hashable, CustomStringConvertible {
    /// Segments as raw UTF-8 bytes (compared byte for byte: no Unicode normalization, so a
    /// look-alike name is a different name, exactly as the kernel sees it).
    public let segments: [[UInt8]]

    /// nil when `path` is not absolute or contains a NUL or other control byte.
    public init?(_ path: String) {
        let bytes = Array(path.utf8)
        guard bytes.first == UInt8(ascii: "/") else { return nil }
        guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return nil }
        var out: [[UInt8]] = []
        for part in bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if part.count == 1, part.first == UInt8(ascii: ".") { continue }
            if part.count == 2, part.allSatisfy({ $0 == UInt8(ascii: ".") }) {
                if !out.isEmpty { out.removeLast() }
                continue
            }
            out.append(Array(part))
        }
        segments = out
    }

    /// Joins `path` onto `base` when it is relative.
    public init?(_ path: String, relativeTo base: NormalizedPath) {
        if path.hasPrefix("/") {
            self.init(path)
        } else {
            self.init(base.description + "/" + path)
        }
    }

    init(segments: [[UInt8]]) { self.segments = segments }

    public var description: String {
        segments.isEmpty ? "/" : segments.reduce(into: "") { $0 += "/" + String(decoding: $1, as: UTF8.self) }
    }

    /// True when `self` is `other` or inside it.
    public func isWithin(_ other: NormalizedPath) -> Bool {
        segments.count >= other.segments.count && zip(segments, other.segments).allSatisfy { $0 == $1 }
    }

    var foldedSegments: [[UInt8]] { segments.map { $0.map(PathGlob.fold) } }

    /// The last segment, or "" for the root.
    public var basename: String { segments.last.map { String(decoding: $0, as: UTF8.self) } ?? "" }
}
