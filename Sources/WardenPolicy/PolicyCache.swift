import Crypto
import Foundation
import WardenCore

/// Parsed policies for a long-lived process (`warden serve`), keyed by file path and the
/// SHA-256 of the file's bytes. The file is read again on every `load`; only the parse is
/// skipped, and only when the bytes are exactly those parsed before (parsing is a pure
/// function of the bytes and the path), so an edited policy takes effect on the next run.
public final class PolicyCache: @unchecked Sendable {
    private struct Entry {
        let digest: SHA256.Digest
        let policy: Policy
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    /// Distinct paths kept; beyond it the cache starts over (policies are few in practice).
    private let capacity: Int
    /// How many loads parsed (tests: a hit must not parse, a change must).
    private(set) var parses = 0

    public init(capacity: Int = 256) {
        self.capacity = capacity
    }

    /// `PolicyLoader.load(path:)`, without re-parsing unchanged bytes.
    public func load(path: String) throws(WardenError) -> Policy {
        let data = try PolicyLoader.read(path: path)
        let digest = SHA256.hash(data: data)
        lock.lock()
        let hit = entries[path]
        lock.unlock()
        if let hit, hit.digest == digest { return hit.policy }
        let policy = try PolicyLoader.parse(data: data, path: path)
        lock.lock()
        parses += 1
        if entries.count >= capacity { entries.removeAll() }
        entries[path] = Entry(digest: digest, policy: policy)
        lock.unlock()
        return policy
    }
}
