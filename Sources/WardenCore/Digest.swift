/// A content digest in the `sha256:<64 lowercase hex>` form used in manifests, the armory
/// and the ledger. Only SHA-256 exists today; the prefix keeps the format extensible.
public struct ArtifactDigest: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The 32 raw digest bytes.
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// Parses `sha256:<64 lowercase hex>`; anything else is an error naming `field`.
    public init(parsing text: String, field: String = "digest") throws(WardenError) {
        guard text.hasPrefix("sha256:"), let raw = Hex.decode(text.dropFirst(7)), raw.count == 32 else {
            throw .usage("digest.malformed", "\(field): expected sha256:<64 lowercase hex digits>, got \"\(text.prefix(80))\"")
        }
        self.bytes = raw
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { "sha256:\(hex)" }
    public static func < (a: Self, b: Self) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}
