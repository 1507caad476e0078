import Foundation
import Testing
import WardenCore
@testable import WardenPolicy
import WardenHome

@Suite struct DenyGlobMaskerTests {
    @Test func expandsExistingMatchesOnTheRealFilesystem() throws {
        let root = NSTemporaryDirectory() + "warden-mask-\(UUID().uuidString)"
        let fm = FileManager.default
        defer { try? fm.removeItem(atPath: root) }
        for d in ["ws/src", "ws/.ssh", "ws/deep/a/b/.SSH", "home/u/.aws", "other"] {
            try fm.createDirectory(atPath: root + "/" + d, withIntermediateDirectories: true)
        }
        for f in ["ws/.env", "ws/src/.env", "ws/src/main.py", "ws/.ssh/id_rsa", "home/u/.aws/credentials", "ws/.envrc"] {
            fm.createFile(atPath: root + "/" + f, contents: Data("x".utf8))
        }
        try fm.createSymbolicLink(atPath: root + "/ws/link.env", withDestinationPath: "/etc/passwd")
        try fm.createSymbolicLink(atPath: root + "/ws/.env2", withDestinationPath: root + "/home")
        let globs = try ["**/.ssh/**", "**/.env", "**/*.env", root.dropFirst().isEmpty ? "/x" : "\(root)/home/*/.aws/**"].map { try PathGlob($0) }
        let masked = try DenyGlobMasker.expand(globs, under: [root + "/ws", root + "/home"])
        #expect(masked == [
            root + "/home/u/.aws", root + "/ws/.env", root + "/ws/.ssh", root + "/ws/deep/a/b/.SSH", root + "/ws/link.env", root + "/ws/src/.env",
        ].sorted())
        // The walk is bounded and fails closed.
        #expect(throws: WardenError.self) { try DenyGlobMasker.expand(globs, under: [root + "/ws"], limit: 3) }
        // No globs, nothing to do; unrelated absolute globs are pruned.
        #expect(try DenyGlobMasker.expand([], under: [root]) == [])
        #expect(try DenyGlobMasker.expand([try PathGlob("/nonexistent/**")], under: [root], limit: 1) == [])
    }
}

@Suite struct GateMaskingTests {
    @Test func gateFillsMaskedPathsFromTheRealTrees() throws {
        let f = try HomeFixture()
        let ws = f.dir + "/ws"
        try FileManager.default.createDirectory(atPath: ws + "/.ssh", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: ws + "/.env", contents: Data("SECRET=1".utf8))
        FileManager.default.createFile(atPath: ws + "/notes.txt", contents: Data("ok".utf8))
        let p = try PolicyLoader.parse("""
            version: 1
            filesystem: {readonly: [/usr], writable: ["\(ws)"], deny: ["**/.ssh/**", "**/.env"]}
            commands: {allow: [ls]}
            budget: {executions: 5, cpu_seconds: 100}
            """)
        let request = ExecutionRequest(tenant: "acme", argv: ["ls"], workingDirectory: ws, paths: [.init("notes.txt")])
        guard case .allowed(_, let c, _) = try f.gate.authorize(request, policy: PreparedPolicy(p, host: LiveHostView()), approvalToken: nil, now: Date()) else {
            Issue.record("expected allowed"); return
        }
        let real = LiveHostView().realPath(ws) ?? ws
        #expect(c.maskedPaths == [real + "/.env", real + "/.ssh"])
        // Naming the secret directly is denied by the decision itself.
        let direct = ExecutionRequest(tenant: "acme", argv: ["ls"], workingDirectory: ws, paths: [.init(".env")])
        guard case .denied(let d) = try f.gate.authorize(direct, policy: PreparedPolicy(p, host: LiveHostView()), approvalToken: nil, now: Date()) else {
            Issue.record("expected denied"); return
        }
        #expect(d.denials.map(\.code) == ["policy.path.denied"])
    }
}

/// The listing cache must never change what is masked: only how much is re-read.
@Suite struct DenyGlobCacheTests {
    let globs = try! ["**/.ssh/**", "**/.env"].map { try PathGlob($0) }

    func tree() throws -> (root: String, cache: String) {
        let root = NSTemporaryDirectory() + "warden-maskcache-\(UUID().uuidString)"
        let fm = FileManager.default
        for d in ["ws/a/b/c", "ws/d/.ssh", "ws/e"] { try fm.createDirectory(atPath: root + "/" + d, withIntermediateDirectories: true) }
        for f in ["ws/a/b/.env", "ws/e/notes.txt"] { fm.createFile(atPath: root + "/" + f, contents: Data("x".utf8)) }
        return (root, root + "/cache")
    }

    @Test func unchangedDirectoriesAreReusedAndChangesAreSeen() throws {
        let (root, cache) = try tree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let ws = root + "/ws"
        // Listings taken "10 s after" the directories changed are trusted on the next run.
        let t0 = Int64(time(nil)) + 10
        let first = try DenyGlobMasker.expandCounting(globs, under: [ws], cacheDirectory: cache, now: t0)
        #expect(first.paths == [ws + "/a/b/.env", ws + "/d/.ssh"])
        #expect(first.relisted == 6)  // ws, a, b, c, d, e (d/.ssh matches: masked, not read)
        let second = try DenyGlobMasker.expandCounting(globs, under: [ws], cacheDirectory: cache, now: t0 + 10)
        #expect(second.paths == first.paths)
        #expect(second.relisted == 0)
        // A secret created deep in a cached tree: only its directory is read again.
        FileManager.default.createFile(atPath: ws + "/a/b/c/.env", contents: Data("SECRET".utf8))
        let third = try DenyGlobMasker.expandCounting(globs, under: [ws], cacheDirectory: cache, now: t0 + 20)
        #expect(third.paths == [ws + "/a/b/.env", ws + "/a/b/c/.env", ws + "/d/.ssh"])
        #expect(third.relisted == 1)
        // A renamed directory: its parent changed, the new name is walked.
        try FileManager.default.moveItem(atPath: ws + "/e", toPath: ws + "/.ssh")
        let fourth = try DenyGlobMasker.expandCounting(globs, under: [ws], cacheDirectory: cache, now: t0 + 30)
        #expect(fourth.paths == [ws + "/.ssh", ws + "/a/b/.env", ws + "/a/b/c/.env", ws + "/d/.ssh"])
        // A removed secret is no longer listed.
        try FileManager.default.removeItem(atPath: ws + "/a/b/.env")
        let fifth = try DenyGlobMasker.expandCounting(globs, under: [ws], cacheDirectory: cache, now: t0 + 40)
        #expect(fifth.paths == [ws + "/.ssh", ws + "/a/b/c/.env", ws + "/d/.ssh"])
        // Every answer equals an uncached walk's.
        #expect(try DenyGlobMasker.expand(globs, under: [ws]) == fifth.paths)
    }

    @Test func nestedTreesAreWalkedOnce() throws {
        let (root, _) = try tree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let ws = root + "/ws"
        let once = try DenyGlobMasker.expandCounting(globs, under: [ws], cacheDirectory: nil, now: 0)
        let nested = try DenyGlobMasker.expandCounting(globs, under: [ws + "/a", ws, ws + "/a/b", ws], cacheDirectory: nil, now: 0)
        #expect(nested.paths == once.paths && nested.relisted == once.relisted)
        // Sibling trees are each walked.
        let siblings = try DenyGlobMasker.expandCounting(globs, under: [ws + "/a", ws + "/d"], cacheDirectory: nil, now: 0)
        #expect(siblings.paths == [ws + "/a/b/.env", ws + "/d/.ssh"])
    }

    @Test func recentlyChangedDirectoriesAreNeverTrusted() throws {
        let (root, cache) = try tree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let now = Int64(time(nil))
        _ = try DenyGlobMasker.expandCounting(globs, under: [root + "/ws"], cacheDirectory: cache, now: now)
        // Within the racy margin a change could share the listing's clock tick: re-read all.
        let again = try DenyGlobMasker.expandCounting(globs, under: [root + "/ws"], cacheDirectory: cache, now: now)
        #expect(again.relisted == 6)
    }

    @Test func identityAndTimesMustMatchExactly() {
        let s = DenyGlobIndex.DirStamp(dev: 1, ino: 2, ctimeSec: 100, ctimeNsec: 5, mtimeSec: 100, mtimeNsec: 5)
        let node = DenyGlobIndex(stamp: s, listedAt: 200, entryCount: 0, matches: [], subdirs: [])
        #expect(node.isValid(for: s))
        for changed in [
            DenyGlobIndex.DirStamp(dev: 9, ino: 2, ctimeSec: 100, ctimeNsec: 5, mtimeSec: 100, mtimeNsec: 5),  // a mount over it
            DenyGlobIndex.DirStamp(dev: 1, ino: 9, ctimeSec: 100, ctimeNsec: 5, mtimeSec: 100, mtimeNsec: 5),  // replaced
            DenyGlobIndex.DirStamp(dev: 1, ino: 2, ctimeSec: 100, ctimeNsec: 6, mtimeSec: 100, mtimeNsec: 5),
            DenyGlobIndex.DirStamp(dev: 1, ino: 2, ctimeSec: 100, ctimeNsec: 5, mtimeSec: 101, mtimeNsec: 5),
        ] { #expect(!node.isValid(for: changed)) }
        #expect(!DenyGlobIndex(stamp: s, listedAt: 101, entryCount: 0, matches: [], subdirs: []).isValid(for: s))
    }

    @Test func damagedCacheFilesCostTimeNotCoverage() throws {
        let (root, cache) = try tree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let ws = root + "/ws"
        let t0 = Int64(time(nil)) + 10
        let good = try DenyGlobMasker.expandCounting(globs, under: [ws], cacheDirectory: cache, now: t0)
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: cache).first)
        let bytes = try #require(FileManager.default.contents(atPath: cache + "/" + file)).map { $0 }
        #expect(DenyGlobIndex.decode(bytes) != nil)
        // Every truncation and single-byte flip decodes to nil (checksummed), and the walk's
        // answer is unchanged.
        var rng = SystemRandomNumberGenerator()
        for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 40)) {
            #expect(DenyGlobIndex.decode(Array(bytes.prefix(cut))) == nil)
        }
        for _ in 0..<40 {
            var damaged = bytes
            damaged[Int.random(in: 0..<damaged.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            #expect(DenyGlobIndex.decode(damaged) == nil)
            try Data(damaged).write(to: URL(fileURLWithPath: cache + "/" + file))
            let r = try DenyGlobMasker.expandCounting(globs, under: [ws], cacheDirectory: cache, now: t0 + 10)
            #expect(r.paths == good.paths)
        }
        for _ in 0..<200 {
            let junk = (0..<Int.random(in: 0..<200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(DenyGlobIndex.decode(Array("WDGI\u{1}".utf8) + junk) == nil)
        }
    }
}
