/// An absolute path reduced lexically: no empty, `.` or `..` segments, no trailing slash.
/// `..` at the root stays at the root, as the kernel does. Symlinks are not resolved here;
/// the decision also checks the resolved form the caller's `FileSystemView` reports.
public struct NormalizedPath: Sendable, Hashable, CustomStringConvertible {
    /// The normalized path as raw UTF-8 bytes (`/` for the root, else `/a/b`), compared
    /// byte for byte: no Unicode normalization, so a look-alike name is a different name,
    /// exactly as the kernel sees it. One flat buffer, not one array per segment, because
    /// every decision builds several of these.
    public let bytes: [UInt8]

    private static let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")

    /// nil when `path` is not absolute or contains a NUL or other control byte.
    public init?(_ path: String) {
        var input = path
        guard let normalized = input.withUTF8({ Self.normalize($0) }) else { return nil }
        bytes = normalized
    }

    private static func normalize(_ raw: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard raw.first == slash else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            let b = raw[i]
            if b < 0x20 || b == 0x7F { return nil }
            if b == slash { i += 1; continue }
            var end = i
            while end < raw.count, raw[end] != slash {
                if raw[end] < 0x20 || raw[end] == 0x7F { return nil }
                end += 1
            }
            let n = end - i
            if n == 1, raw[i] == dot {
                // "." : nothing
            } else if n == 2, raw[i] == dot, raw[i + 1] == dot {
                // "..": drop the last segment (the root's parent is the root).
                while let last = out.popLast(), last != slash {}
            } else {
                out.append(slash)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: raw[i..<end]))
            }
            i = end
        }
        if out.isEmpty { out.append(slash) }
        return out
    }

    /// Joins `path` onto `base` when it is relative.
    public init?(_ path: String, relativeTo base: NormalizedPath) {
        if path.hasPrefix("/") {
            self.init(path)
        } else {
            self.init(base.description + "/" + path)
        }
    }

    /// True for `/`.
    public var isRoot: Bool { bytes.count == 1 }

    /// The segments, each as raw bytes (empty for the root).
    public var segments: [[UInt8]] {
        bytes.split(separator: Self.slash, omittingEmptySubsequences: true).map(Array.init)
    }

    public var description: String { String(decoding: bytes, as: UTF8.self) }

    /// True when `self` is `other` or inside it.
    public func isWithin(_ other: NormalizedPath) -> Bool {
        if other.isRoot { return true }
        let n = other.bytes.count
        guard bytes.count >= n, bytes.starts(with: other.bytes) else { return false }
        return bytes.count == n || bytes[n] == Self.slash
    }

    /// The last segment, or "" for the root.
    public var basename: String {
        guard !isRoot, let slash = bytes.lastIndex(of: Self.slash) else { return "" }
        return String(decoding: bytes[(slash + 1)...], as: UTF8.self)
    }
}
