import WardenCore
import Yams

/// Typed, strict access to a composed YAML tree, producing `WardenError`s that name the
/// file, line, column and dotted field. Anchors, aliases, explicit tags, duplicate keys and
/// unknown keys are all errors: a policy has exactly one reading.
struct YAMLReader {
    let file: String

    func error(_ code: String, _ node: Node?, _ field: String, _ what: String) -> WardenError {
        .usage(code, "\(location(node)): \(field): \(what)")
    }

    func location(_ node: Node?) -> String {
        guard let mark = node?.mark else { return file }
        return "\(file):\(mark.line):\(mark.column)"
    }

    /// An error pointing `offset` characters into a scalar's text. The column moves only when
    /// the source spelling is certainly the text itself (a plain or single-quoted scalar on
    /// one line, without quotes to unescape); otherwise it stays at the node.
    func error(_ code: String, _ node: Node, _ field: String, _ what: String, offset: Int) -> WardenError {
        guard case .scalar(let s) = node, let mark = node.mark, offset >= 0,
              !s.string.contains(where: { $0 == " " || $0 == "\n" || $0 == "'" || $0 == "\t" })
        else { return error(code, node, field, what) }
        let shift: Int
        switch s.style {
        case .plain: shift = offset
        case .singleQuoted: shift = offset + 1
        default: return error(code, node, field, what)
        }
        return .usage(code, "\(file):\(mark.line):\(mark.column + shift): \(field): \(what)")
    }

    /// Most nodes a policy may expand to. Aliases are expanded by the composer, so a
    /// "billion laughs" document is small on disk and huge here: counting stops it.
    static let maxNodes = 20_000

    /// Rejects non-core tags anywhere under `node` and documents that expand to more than
    /// `maxNodes` nodes (alias bombs).
    func checkPlain(_ node: Node, _ field: String) throws(WardenError) {
        var count = 0
        try checkPlain(node, field, &count)
    }

    private func checkPlain(_ node: Node, _ field: String, _ count: inout Int) throws(WardenError) {
        count += 1
        if count > Self.maxNodes { throw error("policy.too_complex", node, field, "the document expands to more than \(Self.maxNodes) nodes") }
        let rawTag: String
        switch node {
        case .scalar(let s): rawTag = s.tag.rawValue
        case .mapping(let m): rawTag = m.tag.rawValue
        case .sequence(let q): rawTag = q.tag.rawValue
        case .alias: rawTag = ""
        }
        // Yams resolves tags in place while composing, so implicit and core-schema tags look
        // alike here; anything outside the core schema (`!!binary`, `!custom`) is refused.
        let allowedTags: Set<String> = ["", "!", Tag.Name.str.rawValue, Tag.Name.int.rawValue, Tag.Name.bool.rawValue,
            Tag.Name.null.rawValue, Tag.Name.float.rawValue, Tag.Name.timestamp.rawValue, Tag.Name.map.rawValue, Tag.Name.seq.rawValue]
        if !allowedTags.contains(rawTag) {
            throw error("policy.tag", node, field, "YAML tag \(rawTag) is not allowed")
        }
        switch node {
        case .alias: throw error("policy.alias", node, field, "unresolved alias")
        case .scalar: break
        case .mapping(let m):
            for (k, v) in m {
                try checkPlain(k, field, &count)
                try checkPlain(v, field + "." + (k.scalar?.string ?? "?"), &count)
            }
        case .sequence(let s):
            for (i, v) in s.enumerated() { try checkPlain(v, "\(field)[\(i)]", &count) }
        }
    }

    /// The members of a mapping, keys checked against `allowed` and for duplicates.
    func mapping(_ node: Node, _ field: String, allowed: Set<String>) throws(WardenError) -> [String: Node] {
        guard case .mapping(let m) = node else {
            throw error("policy.type", node, field, "expected a mapping, got \(kind(node))")
        }
        var out: [String: Node] = [:]
        for (k, v) in m {
            guard case .scalar(let ks) = k else { throw error("policy.type", k, field, "keys must be plain strings") }
            let key = ks.string
            let path = field.isEmpty ? key : field + "." + key
            guard allowed.contains(key) else {
                throw error("policy.unknown_key", k, path, "unknown key (expected one of: \(allowed.sorted().joined(separator: ", ")))")
            }
            guard out[key] == nil else { throw error("policy.duplicate_key", k, path, "duplicate key") }
            out[key] = v
        }
        return out
    }

    func kind(_ node: Node) -> String {
        switch node {
        case .scalar(let s): s.style == .plain && isNull(s.string) ? "null" : "a scalar"
        case .mapping: "a mapping"
        case .sequence: "a sequence"
        case .alias: "an alias"
        }
    }

    private func isNull(_ s: String) -> Bool { s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL" }

    func string(_ node: Node, _ field: String) throws(WardenError) -> String {
        guard case .scalar(let s) = node, !(s.style == .plain && isNull(s.string)) else {
            throw error("policy.type", node, field, "expected a string, got \(kind(node))")
        }
        guard !s.string.isEmpty else { throw error("policy.value", node, field, "must not be empty") }
        guard !s.string.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw error("policy.value", node, field, "contains a control character")
        }
        return s.string
    }

    func bool(_ node: Node, _ field: String) throws(WardenError) -> Bool {
        if case .scalar(let s) = node, s.style == .plain {
            if s.string == "true" { return true }
            if s.string == "false" { return false }
        }
        throw error("policy.type", node, field, "expected true or false")
    }

    /// A plain decimal integer in `range` (no sign but `-`, no leading zeros, no floats, NaN,
    /// infinities, hex or underscores).
    func int(_ node: Node, _ field: String, _ range: ClosedRange<Int64>) throws(WardenError) -> Int64 {
        guard case .scalar(let s) = node, s.style == .plain else {
            throw error("policy.type", node, field, "expected an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        let text = s.string
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), !(digits.count > 1 && digits.hasPrefix("0")) else {
            throw error("policy.type", node, field, "expected an integer in \(range.lowerBound)...\(range.upperBound), got \"\(text.prefix(40))\"")
        }
        guard let v = Int64(text), range.contains(v) else {
            throw error("policy.range", node, field, "\(text.prefix(40)) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    func sequence(_ node: Node, _ field: String) throws(WardenError) -> [Node] {
        guard case .sequence(let s) = node else {
            throw error("policy.type", node, field, "expected a sequence, got \(kind(node))")
        }
        return Array(s)
    }

    func strings(_ node: Node, _ field: String) throws(WardenError) -> [String] {
        var out: [String] = []
        for (i, item) in try sequence(node, field).enumerated() { out.append(try string(item, "\(field)[\(i)]")) }
        return out
    }
}
