import Crypto
import Foundation
import Testing
import WardenCore
@testable import WardenLedger

/// The verifier's single-pass scanner must never accept what the reference path
/// (`LedgerRecord.parseWithMessage`: strict parse + exact members + canonical re-encoding)
/// rejects, and must agree with it on seq, prev, kid, signature and message.
@Suite struct RecordScannerTests {
    static let structural = Array("\"\\,:{}[]0-9a u".utf8)
    static let sig = Base64URL.encode((0..<64).map { UInt8($0 * 3 & 0xFF) })

    /// Checks the scanner against the reference on `bytes`; returns whether it decided itself.
    @discardableResult
    static func agree(_ bytes: [UInt8], _ context: @autoclosure () -> String = "") -> Bool {
        let reference = try? LedgerRecord.parseWithMessage(bytes)
        guard let scanned = RecordScanner.scan(bytes) else { return false }
        guard let (record, message) = reference else {
            Issue.record("scanner accepted bytes the reference rejects: \(String(decoding: bytes, as: UTF8.self)) \(context())")
            return true
        }
        #expect(scanned.seq == record.seq)
        #expect(scanned.prevHex == Array(record.prev.utf8))
        #expect(scanned.kid == record.kid)
        #expect(scanned.signature == record.signatureBytes)
        #expect(scanned.message == message)
        return true
    }

    static func record(details: JSONValue, text: () -> String = { "x" }, seq: Int64 = 7, time: Int64 = 1_700_000_000_000) -> LedgerRecord {
        LedgerRecord(seq: seq, time: time, node: text(), tenant: text(), actor: text(), event: text(), subject: text(),
                     decision: Bool.random() ? text() : nil, details: details,
                     prev: Hex.encode((0..<32).map { _ in UInt8.random(in: 0...255) }), kid: "kid-" + text(), sig: sig)
    }

    @Test func acceptsCanonicalASCIIRecordsWithTheReferenceResult() {
        let alphabet = Array("aZ09 \"\\/\n\t\u{1}\u{7F}{}[],:-_".unicodeScalars)
        func text() -> String {
            String(String.UnicodeScalarView((0..<Int.random(in: 0..<12)).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] }))
        }
        var decided = 0
        for _ in 0..<1000 {
            let details: JSONValue = .object([
                text(): .string(text()), "sig": .string(Self.sig), "n": .array([.int(Int64.random(in: -999_999...999_999)), .null, .bool(true)]),
                "z": .object(["sig": .string(text()), "": .array([]), "e": .object([:])]),
            ])
            let r = Self.record(details: details, text: text, seq: Int64.random(in: 0...999_999_999_999), time: Int64.random(in: 0...Int64(1e15)))
            // kid is escape-free in real records; random text here may need escapes (then the
            // scanner defers, which is allowed).
            if Self.agree(r.canonicalBytes) { decided += 1 }
        }
        // Records whose kid needs no escaping are decided by the scanner itself.
        let plain = Self.record(details: ["a": 1, "b": ["c": "d\n\"\\"]])
        #expect(Self.agree(plain.canonicalBytes))
        #expect(decided > 40, "the scanner decided only \(decided) of 1000")
    }

    @Test func defersOnNonASCIIAndBigIntegersAndAgreesOnDepth() {
        #expect(!Self.agree(Self.record(details: ["é": 1]).canonicalBytes))
        #expect(!Self.agree(Self.record(details: ["a": "😀"]).canonicalBytes))
        #expect(!Self.agree(Self.record(details: ["a": .int(Int64.min)]).canonicalBytes))
        #expect(!Self.agree(Self.record(details: ["a": .int(Int64.max)]).canonicalBytes))
        #expect(!Self.agree(Self.record(details: ["a\nb": 1]).canonicalBytes))  // escape in a key
        #expect(Self.agree(Self.record(details: ["a": .int(-999_999_999_999_999_999)]).canonicalBytes))
        // Nesting around the parser's limit of 32: both sides agree at every depth.
        for depth in 28...36 {
            var v: JSONValue = .int(1)
            for k in 0..<depth { v = k % 2 == 0 ? .array([v]) : .object(["k": v]) }
            Self.agree(Self.record(details: ["d": v]).canonicalBytes, "depth \(depth)")
        }
    }

    @Test func handwrittenNonCanonicalSpellingsAreNeverAccepted() {
        let good = String(decoding: Self.record(details: ["a": 1, "b": [true, false, nil], "c": "q"]).canonicalBytes, as: UTF8.self)
        #expect(Self.agree(Array(good.utf8)))
        let edits: [(String, String)] = [
            ("\"a\":1", "\"a\":01"), ("\"a\":1", "\"a\":-0"), ("\"a\":1", "\"a\":1.0"), ("\"a\":1", "\"a\":1e0"),
            ("\"a\":1", "\"a\": 1"), ("\"a\":1", "\"a\":+1"), ("\"a\":1,\"b\"", "\"b\":1,\"a\""), ("\"a\":1", "\"a\":1,\"a\":1"),
            ("\"c\":\"q\"", "\"c\":\"\\u0071\""), ("\"c\":\"q\"", "\"c\":\"\\/\""), ("\"c\":\"q\"", "\"c\":\"\\u001F\""),
            ("\"c\":\"q\"", "\"c\":\"\\u000a\""), ("[true,false,null]", "[true,false,nul]"), ("[true,false,null]", "[true,false,null,]"),
            ("{\"actor\"", "{\"actor\" "), ("\"seq\":7", "\"seq\":\"7\""), ("\"seq\":7", "\"seq\":07"), ("000}", "000} "), ("000}", "000}}"),
        ]
        for (from, to) in edits {
            guard let range = good.range(of: from) else { Issue.record("fixture lacks \(from)"); continue }
            let bad = good.replacingCharacters(in: range, with: to)
            #expect(RecordScanner.scan(Array(bad.utf8)) == nil, "accepted \(to)")
            Self.agree(Array(bad.utf8))
        }
    }

    /// Random byte mutations of real records: whenever the scanner accepts, the reference
    /// accepts with the same result.
    @Test func mutatedRecordsAgreeWithTheReference() {
        let bases = [
            Self.record(details: ["reasons": ["rule \"3\" \\ x"], "n": -5, "nested": ["a": [true, nil]], "t": "\t\u{1}"]).canonicalBytes,
            Self.record(details: ["reasons": ["é"], "n": 12]).canonicalBytes,
        ]
        var rng = SystemRandomNumberGenerator()
        for base in bases {
            for _ in 0..<4000 {
                var b = base
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    guard !b.isEmpty else { break }
                    let i = Int.random(in: 0..<b.count, using: &rng)
                    switch Int.random(in: 0..<4, using: &rng) {
                    case 0: b[i] = UInt8.random(in: 0...255, using: &rng)
                    case 1: b.insert(Self.structural[Int.random(in: 0..<Self.structural.count, using: &rng)], at: i)
                    case 2: b.remove(at: i)
                    default:
                        let j = min(b.count, i + Int.random(in: 1...16, using: &rng))
                        b.insert(contentsOf: b[i..<j], at: i)
                    }
                }
                Self.agree(b)
            }
        }
    }
}

/// The verifier checks chunk k in the background while the caller reads chunk k+1; with tiny
/// chunks, tampering on either side of a chunk boundary is still reported at its own seq,
/// and the report does not depend on the chunk size.
@Suite struct VerifierChunkTests {
    static func verify(_ env: TestLedgerEnv, _ records: [StoredRecord], chunk: Int, checkpoints: [StoredCheckpoint]) -> VerificationReport {
        let verifier = LedgerVerifier(keyring: env.keyring, checkpoints: checkpoints.map { (note: $0.note, source: "checkpoint \($0.size)") },
                                      origin: env.origin)
        verifier.chunkSize = chunk
        for r in records where verifier.wantsMore { verifier.feed(r.bytes, storedHash: r.hash) }
        return verifier.finish()
    }

    @Test func tamperingAroundChunkBoundariesIsReportedAtItsSeq() async throws {
        let env = try TestLedgerEnv()
        let ledger = try env.ledger(policy: CheckpointPolicy(everyRecords: 10, everyMillis: 600_000))
        _ = try await ledger.append(contentsOf: LedgerBatchAppendTests.entries("c", 60))
        _ = try await ledger.checkpoint()
        ledger.close()
        let records = try env.store.records(from: 0, limit: 100)
        let checkpoints = try env.store.checkpoints()
        let reference = Self.verify(env, records, chunk: 16384, checkpoints: checkpoints)
        #expect(reference.ok && reference.records == 60)
        for chunk in [1, 7, 59, 60] {
            let r = Self.verify(env, records, chunk: chunk, checkpoints: checkpoints)
            #expect(r.ok && r.records == 60 && r.root == reference.root && r.checkpointsVerified == reference.checkpointsVerified)
        }
        for seq in [0, 6, 7, 8, 13, 14, 30, 59] {
            // A flipped byte in the subject: bad signature at seq (and the chain breaks after it).
            var flipped = records
            var bytes = flipped[seq].bytes
            let at = bytes.count - 40
            bytes[at] ^= 0x01
            flipped[seq] = StoredRecord(seq: flipped[seq].seq, hash: LedgerRecord.hash(of: bytes), bytes: bytes)
            // A deleted record: seq mismatch at seq.
            var deleted = records
            deleted.remove(at: seq)
            for chunk in [1, 7] {
                #expect(Self.verify(env, flipped, chunk: chunk, checkpoints: checkpoints).failure?.seq == Int64(seq), "flip at \(seq), chunk \(chunk)")
                #expect(Self.verify(env, deleted, chunk: chunk, checkpoints: checkpoints).failure?.seq == Int64(seq), "delete at \(seq), chunk \(chunk)")
            }
        }
    }
}
