import Foundation
import Testing
import WardenTestSupport
import WardenCore
import WardenHome
import WardenTrust
@testable import WardenLedger

/// End-to-end: the built `warden` binary against a home whose ledger was written through the
/// library API the pipeline uses (`NodeLedger.open` + `append`).
@Suite struct AuditCLITests {
    struct Run {
        let status: Int32
        let out: String
        let err: String
    }

    let home = temporaryDirectory("audit-cli")

    func warden(_ args: [String]) throws -> Run {
        let r = try TestProcess.run(TestProcess.wardenBinary, args, environment: ["PATH": "/usr/bin:/bin", "WARDEN_HOME": home, "HOME": home])
        return Run(status: r.status, out: r.stdout, err: r.stderr)
    }

    /// A home with a runner key and `count` decision records, after the runner key's own
    /// `key.added` record (seq 0) and the opening record (seq 1).
    func populate(_ count: Int, from start: Int = 0) async throws {
        let h = try Home.open(at: home)
        let db = try WardenDatabase(home: h)
        let ledger = try await NodeLedger.open(home: h, db: db)
        for i in start..<(start + count) {
            _ = try await ledger.append(event: .decision, tenant: "acme", actor: "cli:alice", subject: "hello@1.0.0",
                                        decision: "allow", details: ["n": .int(Int64(i))])
        }
        ledger.close()
    }

    @Test func fullAuditWorkflow() async throws {
        #expect(try warden(["key", "generate", "runner", "--role", "runner"]).status == 0)
        try await populate(25)

        let cp = try warden(["audit", "checkpoint"])
        #expect(cp.status == 0, "\(cp.err)")
        #expect(cp.out.hasPrefix("warden/local/ledger\n27\n"))
        let cpFile = home + "/../cp-\(UUID().uuidString).txt"
        try cp.out.write(toFile: cpFile, atomically: true, encoding: .utf8)

        let v = try warden(["audit", "verify"])
        #expect(v.status == 0 && v.out.contains("ok: 27 records"), "\(v.out)\(v.err)")
        let vj = try warden(["audit", "verify", "--json", "--checkpoint", cpFile])
        let report = try StrictJSONParser.parse(vj.out.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(vj.status == 0 && report["ok"] == true && report["records"] == 27)

        let show = try warden(["audit", "show", "3", "--json"])
        let shown = try StrictJSONParser.parse(show.out.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(shown["record"]?["seq"] == 3 && shown["record"]?["details"]?["n"] == 1)
        let tail = try warden(["audit", "show", "--tail", "2"])
        #expect(tail.out.split(separator: "\n").count == 2 && tail.out.hasPrefix("25 "))
        #expect(try warden(["audit", "show", "99"]).status == WardenExit.notFound)

        let proof = try warden(["audit", "proof", "5", "--json"])
        #expect(proof.status == 0, "\(proof.err)")
        let pj = try StrictJSONParser.parse(proof.out.trimmingCharacters(in: .whitespacesAndNewlines), limits: .init(maxDepth: 8, maxBytes: 1 << 20))
        let path = pj["path"]?.arrayValue?.compactMap { $0.stringValue.flatMap(Hex.decode) } ?? []
        let leaf = MerkleHash.leaf(Hex.decode(pj["record_hash"]?.stringValue ?? "") ?? [])
        #expect(MerkleHash.verifyInclusion(leafHash: leaf, index: 5, treeSize: 27, proof: path, root: Hex.decode(pj["root"]?.stringValue ?? "") ?? []))

        // Export, then verify with nothing but the public key.
        let dir = home + "-export"
        #expect(try warden(["audit", "export", dir]).status == 0)
        let pub = try warden(["key", "export", "runner"]).out
        let pubFile = dir + "-runner.pem"
        try pub.write(toFile: pubFile, atomically: true, encoding: .utf8)
        let off = try warden(["audit", "verify", "--offline", dir, "--key", pubFile])
        #expect(off.status == 0 && off.out.contains("ok: 27 records"), "\(off.err)")

        // Attack: alter record 7 of the export → exit 126 naming seq 7; a wrong key → 126.
        var lines = try String(contentsOfFile: dir + "/records.jsonl", encoding: .utf8).split(separator: "\n").map(String.init)
        lines[7] = lines[7].replacingOccurrences(of: "\"tenant\":\"acme\"", with: "\"tenant\":\"acmf\"")
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/records.jsonl", atomically: true, encoding: .utf8)
        let bad = try warden(["audit", "verify", "--offline", dir, "--key", pubFile])
        #expect(bad.status == WardenExit.denied && bad.err.contains("at seq 7"), "\(bad.err)")
        #expect(try warden(["audit", "verify", "--offline", dir]).status == WardenExit.usage)

        // Rollback: an older export is caught by a newer externally held checkpoint.
        let old = home + "-old"
        #expect(try warden(["audit", "export", old]).status == 0)
        try await populate(5, from: 100)
        let cp2 = try warden(["audit", "checkpoint"])
        try cp2.out.write(toFile: cpFile, atomically: true, encoding: .utf8)
        #expect(try warden(["audit", "verify", "--offline", old, "--key", pubFile]).status == 0)
        let rolled = try warden(["audit", "verify", "--offline", old, "--key", pubFile, "--checkpoint", cpFile])
        #expect(rolled.status == WardenExit.denied && rolled.err.contains("ledger.truncated"), "\(rolled.err)")
        #expect(try warden(["audit", "verify", "--checkpoint", cpFile]).status == 0)
    }

    @Test func withoutARunnerKeyCommandsFailClosed() throws {
        let r = try warden(["audit", "checkpoint"])
        #expect(r.status == WardenExit.usage && r.err.contains("ledger.no_runner_key"), "\(r.err)")
        let v = try warden(["audit", "verify"])
        #expect(v.status == WardenExit.usage && v.err.contains("ledger.no_runner_key"))
        // A publisher key is not a runner key.
        #expect(try warden(["key", "generate", "pub", "--role", "publisher"]).status == 0)
        #expect(try warden(["audit", "checkpoint"]).status == WardenExit.usage)
    }

    @Test func badConfigIsRejectedNamingTheSetting() throws {
        #expect(try warden(["key", "generate", "runner", "--role", "runner"]).status == 0)
        try #"{"ledger": {"checkpoint_every_records": 0}}"#.write(toFile: home + "/config.json", atomically: true, encoding: .utf8)
        let r = try warden(["audit", "checkpoint"])
        #expect(r.status == WardenExit.usage && r.err.contains("ledger.checkpoint_every_records"), "\(r.err)")
        try #"{"node": {"name": "bad name"}}"#.write(toFile: home + "/config.json", atomically: true, encoding: .utf8)
        #expect(try warden(["audit", "checkpoint"]).err.contains("node.name"))
        try #"{"node": {"name": "edge-7", "colour": 1}}"#.write(toFile: home + "/config.json", atomically: true, encoding: .utf8)
        #expect(try warden(["audit", "checkpoint"]).err.contains("node.colour"))
        try #"{"node": {"name": "edge-7"}}"#.write(toFile: home + "/config.json", atomically: true, encoding: .utf8)
        let ok = try warden(["audit", "checkpoint"])
        #expect(ok.status == 0 && ok.out.hasPrefix("warden/edge-7/ledger\n1\n"), "\(ok.err)")
    }

    @Test func deletingTheNewestRecordsFailsOnlineVerification() async throws {
        #expect(try warden(["key", "generate", "runner", "--role", "runner"]).status == 0)
        try await populate(6)
        #expect(try warden(["audit", "verify"]).status == 0)
        let db = try WardenDatabase(path: home + "/warden.db")
        try await db.pool.write { db in
            try db.execute(sql: "DROP TRIGGER ledger_record_no_delete")
            try db.execute(sql: "DELETE FROM ledger_record WHERE seq = (SELECT MAX(seq) FROM ledger_record)")
        }
        // The remaining prefix is a valid chain; the state row shows a record is gone (and so
        // does a time-based checkpoint, when a slow machine wrote one covering it).
        let r = try warden(["audit", "verify"])
        #expect(r.status == WardenExit.denied && (r.err.contains("[ledger.state_mismatch]") || r.err.contains("[ledger.truncated]")),
                "\(r.out)\(r.err)")
    }

    @Test func tamperedDatabaseFailsOnlineVerification() async throws {
        #expect(try warden(["key", "generate", "runner", "--role", "runner"]).status == 0)
        try await populate(10)
        let db = try WardenDatabase(path: home + "/warden.db")
        try await db.pool.write { db in
            try db.execute(sql: "DROP TRIGGER ledger_record_no_update")
            try db.execute(sql: "UPDATE ledger_record SET body = replace(body, '\"n\":4', '\"n\":5') WHERE seq = 6")
        }
        let r = try warden(["audit", "verify"])
        #expect(r.status == WardenExit.denied && r.err.contains("at seq 6"), "\(r.err)")
    }
}
