import Crypto

/// What a deny-glob walk saw in one directory, kept between runs so that an unchanged
/// directory is not read again (`DenyGlobMasker`). Pure data and its binary encoding; the
/// walk that fills and validates it lives in `DenyGlobMasker`.
///
/// A directory's listing is reused only while its identity and change times are exactly
/// those recorded (`DirStamp`): creating, removing or renaming an entry updates the
/// directory's ctime and mtime, and a mount over it changes its device and inode. A listing
/// taken within `racyMargin` seconds of the directory's last change is never trusted (the
/// change could share the clock tick of the listing; git's "racily clean" rule).
///
/// `@unchecked Sendable`: a parallel walk hands disjoint subtrees to its workers, and a
/// node is only mutated (its `subdirs` refreshed) by the one worker walking it.
final class DenyGlobIndex: @unchecked Sendable {
    /// Identity and change times of a directory, from lstat.
    struct DirStamp: Equatable {
        var dev: UInt64, ino: UInt64
        var ctimeSec: Int64, ctimeNsec: Int64
        var mtimeSec: Int64, mtimeNsec: Int64
    }

    /// Seconds a directory must have been unchanged before its listing may be reused.
    static let racyMargin: Int64 = 2

    let stamp: DirStamp
    /// Wall-clock second the listing was taken.
    let listedAt: Int64
    /// Entries in the directory (counted against the walk's limit when reused).
    let entryCount: UInt32
    /// Children whose path matches a glob (masked whole, not descended).
    let matches: [[UInt8]]
    /// Subdirectories not matching, each with its own listing.
    var subdirs: [(name: [UInt8], node: DenyGlobIndex?)]

    init(stamp: DirStamp, listedAt: Int64, entryCount: UInt32, matches: [[UInt8]], subdirs: [(name: [UInt8], node: DenyGlobIndex?)]) {
        self.stamp = stamp
        self.listedAt = listedAt
        self.entryCount = entryCount
        self.matches = matches
        self.subdirs = subdirs
    }

    /// True when this listing may stand for a directory now stamped `current`.
    func isValid(for current: DirStamp) -> Bool {
        current == stamp && stamp.ctimeSec < listedAt - Self.racyMargin && stamp.mtimeSec < listedAt - Self.racyMargin
    }

    // MARK: Encoding

    private static let magic: [UInt8] = Array("WDGI\u{1}".utf8)
    /// Deeper trees are not cached (bounds the decoder's recursion).
    static let maxDepth = 512

    /// Serialized form: magic, SHA-256 of the body, then the body: nodes depth-first
    /// (fixed-width little-endian fields, names as u16 length + bytes; absent children
    /// flagged). The checksum makes a damaged file decode to nil, never to another listing.
    func encoded() -> [UInt8] {
        var body: [UInt8] = []
        encode(into: &body, depth: 0)
        return Self.magic + Array(SHA256.hash(data: body)) + body
    }

    private func encode(into out: inout [UInt8], depth: Int) {
        for v in [Int64(bitPattern: stamp.dev), Int64(bitPattern: stamp.ino), stamp.ctimeSec, stamp.ctimeNsec, stamp.mtimeSec, stamp.mtimeNsec, listedAt] {
            Self.put(UInt64(bitPattern: v), 8, &out)
        }
        Self.put(UInt64(entryCount), 4, &out)
        Self.put(UInt64(matches.count), 4, &out)
        for m in matches { Self.putName(m, &out) }
        Self.put(UInt64(subdirs.count), 4, &out)
        for s in subdirs {
            Self.putName(s.name, &out)
            if let node = s.node, depth + 1 < Self.maxDepth {
                out.append(1)
                node.encode(into: &out, depth: depth + 1)
            } else {
                out.append(0)
            }
        }
    }

    private static func put(_ v: UInt64, _ width: Int, _ out: inout [UInt8]) {
        for i in 0..<width { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    private static func putName(_ name: [UInt8], _ out: inout [UInt8]) {
        put(UInt64(name.count), 2, &out)
        out.append(contentsOf: name)
    }

    /// Decodes `bytes`; nil when they are not a complete, well-formed index (the caller then
    /// walks everything afresh: a damaged cache costs time, never coverage).
    static func decode(_ bytes: [UInt8]) -> DenyGlobIndex? {
        let bodyAt = magic.count + SHA256.byteCount
        guard bytes.count > bodyAt, bytes.starts(with: magic),
              Array(SHA256.hash(data: bytes[bodyAt...])) == Array(bytes[magic.count..<bodyAt]) else { return nil }
        var r = Reader(bytes: bytes, at: bodyAt)
        guard let node = r.node(depth: 0), r.at == bytes.count else { return nil }
        return node
    }

    private struct Reader {
        let bytes: [UInt8]
        var at: Int

        mutating func int(_ width: Int) -> UInt64? {
            guard width <= bytes.count - at else { return nil }
            var v: UInt64 = 0
            for i in 0..<width { v |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
            at += width
            return v
        }

        mutating func name() -> [UInt8]? {
            guard let n = int(2), n > 0, n <= 255, Int(n) <= bytes.count - at else { return nil }
            let name = Array(bytes[at..<(at + Int(n))])
            at += Int(n)
            // A name is one path component.
            guard !name.contains(0), !name.contains(UInt8(ascii: "/")), name != [0x2E], name != [0x2E, 0x2E] else { return nil }
            return name
        }

        mutating func node(depth: Int) -> DenyGlobIndex? {
            guard depth < DenyGlobIndex.maxDepth else { return nil }
            var f = [Int64]()
            for _ in 0..<7 {
                guard let v = int(8) else { return nil }
                f.append(Int64(bitPattern: v))
            }
            guard let count = int(4), let nm = int(4), nm <= count else { return nil }
            var matches: [[UInt8]] = []
            for _ in 0..<nm {
                guard let m = name() else { return nil }
                matches.append(m)
            }
            guard let ns = int(4), ns <= count else { return nil }
            var subdirs: [(name: [UInt8], node: DenyGlobIndex?)] = []
            for _ in 0..<ns {
                guard let n = name(), let flag = int(1), flag <= 1 else { return nil }
                if flag == 1 {
                    guard let child = node(depth: depth + 1) else { return nil }
                    subdirs.append((n, child))
                } else {
                    subdirs.append((n, nil))
                }
            }
            let stamp = DirStamp(dev: UInt64(bitPattern: f[0]), ino: UInt64(bitPattern: f[1]), ctimeSec: f[2], ctimeNsec: f[3], mtimeSec: f[4], mtimeNsec: f[5])
            return DenyGlobIndex(stamp: stamp, listedAt: f[6], entryCount: UInt32(count), matches: matches, subdirs: subdirs)
        }
    }
}
