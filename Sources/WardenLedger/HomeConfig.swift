import Foundation
import WardenCore
import WardenHome

/// The home's `config.json` (optional; every setting has a default). Each stage reads its
/// own section and rejects unknown members in it; unknown top-level sections are left to
/// the stages that own them. Example:
///
///     {"node": {"name": "node-1", "runner_key": "runner"},
///      "ledger": {"checkpoint_every_records": 1000, "checkpoint_every_ms": 5000},
///      "events": {"sinks": [{"type": "stdout"}]}}
public struct HomeConfig: Sendable {
    public let path: String
    public let root: [String: JSONValue]

    public static func path(home: Home) -> String { home.root + "/config.json" }

    /// Loads `config.json`; a missing file means all defaults.
    public static func load(home: Home) throws(WardenError) -> HomeConfig {
        let path = path(home: home)
        guard FileManager.default.fileExists(atPath: path) else { return HomeConfig(path: path, root: [:]) }
        let bytes = try SecureFile.readSmall(path: path, limit: 1 << 20)
        let value: JSONValue
        do throws(WardenError) {
            value = try StrictJSONParser.parse(bytes)
        } catch {
            throw .usage("config.invalid", "\(path): \(error.message)")
        }
        guard case .object(let root) = value else {
            throw .usage("config.invalid", "\(path): must be a JSON object, not \(value.typeName)")
        }
        return HomeConfig(path: path, root: root)
    }

    public init(path: String, root: [String: JSONValue]) {
        self.path = path
        self.root = root
    }

    /// A closed reader over section `name` (empty when absent).
    public func section(_ name: String) throws(WardenError) -> ConfigSection {
        try ConfigSection(root[name], file: path, path: name)
    }
}

/// Reads one config object: optional members by type, `finish()` rejects unknown ones.
/// Errors are usage errors naming the file and the dotted member.
public struct ConfigSection: Sendable {
    private var members: [String: JSONValue]
    public let file: String
    public let path: String

    public init(_ value: JSONValue?, file: String, path: String) throws(WardenError) {
        self.file = file
        self.path = path
        switch value {
        case nil, .null?: members = [:]
        case .object(let m)?: members = m
        case let other?: throw .usage("config.invalid", "\(file): \(path) must be an object, not \(other.typeName)")
        }
    }

    public func fail(_ key: String, _ what: String) -> WardenError {
        .usage("config.invalid", "\(file): \(path).\(key) \(what)")
    }

    public mutating func string(_ key: String) throws(WardenError) -> String? {
        guard let v = members.removeValue(forKey: key) else { return nil }
        guard case .string(let s) = v else { throw fail(key, "must be a string, not \(v.typeName)") }
        return s
    }

    public mutating func int(_ key: String, in range: ClosedRange<Int64>) throws(WardenError) -> Int64? {
        guard let v = members.removeValue(forKey: key) else { return nil }
        guard case .int(let i) = v else { throw fail(key, "must be an integer, not \(v.typeName)") }
        guard range.contains(i) else { throw fail(key, "must be between \(range.lowerBound) and \(range.upperBound), got \(i)") }
        return i
    }

    public mutating func array(_ key: String) throws(WardenError) -> [JSONValue]? {
        guard let v = members.removeValue(forKey: key) else { return nil }
        guard case .array(let a) = v else { throw fail(key, "must be an array, not \(v.typeName)") }
        return a
    }

    public func finish() throws(WardenError) {
        if let extra = members.keys.sorted().first { throw fail(extra, "is not a known setting") }
    }
}

/// The `node` and `ledger` sections.
public struct LedgerConfig: Sendable, Equatable {
    /// Node name (checkpoint origin `warden/<node>/ledger`, CloudEvents source). Default `local`.
    public var node: String
    /// Trust-store name of the runner key that signs the ledger; nil = the single runner key.
    public var runnerKey: String?
    public var checkpoints: CheckpointPolicy

    public init(node: String = "local", runnerKey: String? = nil, checkpoints: CheckpointPolicy = CheckpointPolicy()) {
        self.node = node
        self.runnerKey = runnerKey
        self.checkpoints = checkpoints
    }

    public init(config: HomeConfig) throws(WardenError) {
        var node = try config.section("node")
        let name = try node.string("name") ?? "local"
        do throws(WardenError) { try Ledger.validateNode(name) } catch { throw node.fail("name", error.message) }
        let runnerKey = try node.string("runner_key")
        try node.finish()
        var ledger = try config.section("ledger")
        let every = try ledger.int("checkpoint_every_records", in: 1...10_000_000) ?? 1000
        let ms = try ledger.int("checkpoint_every_ms", in: 1...86_400_000) ?? 5000
        try ledger.finish()
        self.init(node: name, runnerKey: runnerKey, checkpoints: CheckpointPolicy(everyRecords: every, everyMillis: ms))
    }
}
