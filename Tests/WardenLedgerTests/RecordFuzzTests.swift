import Crypto
import Foundation
import Testing
import WardenCore
@testable import WardenLedger

/// Property test for the record parser, which reads untrusted exports: random mutations
/// (flips, insertions, deletions, duplicated slices) never crash it, and no mutated byte
/// string is both accepted and signature-valid.
@Suite struct RecordFuzzTests {
    @Test func mutatedRecordsNeverParseAndVerify() async throws {
        let env = try TestLedgerEnv()
        let ledger = try env.ledger()
        _ = try await ledger.append(event: .decision, tenant: "acme", actor: "cli:alice", subject: "hello@1.0.0", decision: "deny",
                                    details: ["reasons": ["rule \"3\" \\ é"], "n": -5, "nested": ["a": [true, nil]]])
        ledger.close()
        let original = try env.store.records(from: 0, limit: 1)[0].bytes
        let key = env.key.publicKey
        var rng = SystemRandomNumberGenerator()
        var accepted = 0
        for _ in 0..<4000 {
            var b = original
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                guard !b.isEmpty else { break }
                let i = Int.random(in: 0..<b.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: b[i] = UInt8.random(in: 0...255, using: &rng)
                case 1: b.insert(UInt8.random(in: 0x20...0x7E, using: &rng), at: i)
                case 2: b.remove(at: i)
                default:
                    let j = min(b.count, i + Int.random(in: 1...16, using: &rng))
                    b.insert(contentsOf: b[i..<j], at: i)
                }
            }
            guard b != original, let (record, message) = try? LedgerRecord.parseWithMessage(b) else { continue }
            accepted += 1
            #expect(!key.isValidSignature(record.signatureBytes, for: message), "a mutated record verified: \(String(decoding: b, as: UTF8.self))")
        }
        // Most mutations are rejected by the parser outright.
        #expect(accepted < 2000)
    }
}
