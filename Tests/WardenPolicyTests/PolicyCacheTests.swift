import Foundation
import Testing
import WardenCore
@testable import WardenPolicy

@Suite struct PolicyCacheTests {
    let dir = NSTemporaryDirectory() + "warden-policy-cache-\(UUID().uuidString.prefix(8))"

    func write(_ text: String, to name: String = "p.yaml") throws -> String {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let base = """
        version: 1
        name: cached
        filesystem: {readonly: [/usr], writable: []}
        commands: {allow: [/usr/bin/true]}
        """

    @Test func returnsWhatTheLoaderReturnsAndReparsesOnlyChangedBytes() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cache = PolicyCache()
        let path = try write(Self.base)
        let first = try cache.load(path: path)
        #expect(first == (try PolicyLoader.load(path: path)))
        #expect(try cache.load(path: path) == first)
        #expect(cache.parses == 1, "unchanged bytes were parsed again")
        // An edit (same size, same second) is seen on the next load.
        let edited = try write(Self.base.replacingOccurrences(of: "/usr/bin/true", with: "/usr/bin/echo"))
        let second = try cache.load(path: edited)
        #expect(second.commands.allow.first?.program == "/usr/bin/echo")
        #expect(cache.parses == 2)
        // Errors are the loader's, and nothing bad is cached.
        let broken = try write("version: 1\nname: [", to: "p.yaml")
        var code: String?, direct: String?
        do { _ = try cache.load(path: broken) } catch { code = error.code }
        do { _ = try PolicyLoader.load(path: broken) } catch { direct = error.code }
        #expect(code != nil && code == direct)
        try FileManager.default.removeItem(atPath: broken)
        do { _ = try cache.load(path: broken); Issue.record("a deleted policy was served from the cache") } catch {
            #expect(error.code == "policy.unreadable")
        }
    }
}
