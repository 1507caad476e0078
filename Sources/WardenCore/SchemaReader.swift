/// Reads a closed JSON object schema: each member is taken once by name and type, and
/// `finish()` rejects any member left over. Errors are denials with code `<context>.schema`.
public struct SchemaReader {
    private var members: [String: JSONValue]
    private let context: String
    private let path: String

    /// `context` prefixes error codes and messages (`manifest`, `authorization`).
    public init(_ value: JSONValue, context: String, path: String = "") {
        self.context = context
        self.path = path
        if case .object(let m) = value { members = m } else { members = [:]; valid = false }
    }

    private var valid = true

    private func fail(_ what: String) -> WardenError {
        .denied("\(context).schema", "\(context): \(what)")
    }

    private mutating func take(_ key: String) throws(WardenError) -> JSONValue {
        guard valid else { throw fail("\(path.isEmpty ? "payload" : path) is not an object") }
        guard let v = members.removeValue(forKey: key) else { throw fail("missing member \"\(path)\(key)\"") }
        return v
    }

    public mutating func string(_ key: String) throws(WardenError) -> String {
        let v = try take(key)
        guard case .string(let s) = v else { throw fail("\"\(path)\(key)\" must be a string, not \(v.typeName)") }
        return s
    }

    public mutating func int(_ key: String) throws(WardenError) -> Int64 {
        let v = try take(key)
        guard case .int(let i) = v else { throw fail("\"\(path)\(key)\" must be an integer, not \(v.typeName)") }
        return i
    }

    /// An optional integer: absent or null gives nil.
    public mutating func optionalInt(_ key: String) throws(WardenError) -> Int64? {
        guard valid, let v = members.removeValue(forKey: key) else { return nil }
        if case .null = v { return nil }
        guard case .int(let i) = v else { throw fail("\"\(path)\(key)\" must be an integer or null, not \(v.typeName)") }
        return i
    }

    public mutating func strings(_ key: String) throws(WardenError) -> [String] {
        let v = try take(key)
        guard case .array(let items) = v else { throw fail("\"\(path)\(key)\" must be an array of strings") }
        var out: [String] = []
        for item in items {
            guard case .string(let s) = item else { throw fail("\"\(path)\(key)\" must contain only strings") }
            out.append(s)
        }
        return out
    }

    /// An optional array of strings: absent gives nil.
    public mutating func optionalStrings(_ key: String) throws(WardenError) -> [String]? {
        guard valid, members[key] != nil else { return nil }
        return try strings(key)
    }

    public mutating func object(_ key: String) throws(WardenError) -> SchemaReader {
        let v = try take(key)
        guard case .object = v else { throw fail("\"\(path)\(key)\" must be an object, not \(v.typeName)") }
        return SchemaReader(v, context: context, path: "\(path)\(key).")
    }

    /// Throws if any member was not read.
    public func finish() throws(WardenError) {
        guard valid else { throw fail("\(path.isEmpty ? "payload" : path) is not an object") }
        if let extra = members.keys.sorted().first {
            throw fail("unknown member \"\(path)\(extra)\"")
        }
    }
}
