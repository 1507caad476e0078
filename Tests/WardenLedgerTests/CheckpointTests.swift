import Crypto
import Foundation
import Testing
import WardenCore
@testable import WardenLedger

@Suite struct CheckpointTests {
    let key = Curve25519.Signing.PrivateKey()
    var signer: Ed25519RecordSigner { Ed25519RecordSigner(privateKey: key) }
    var keyring: LedgerKeyring { LedgerKeyring(publicKeys: [key.publicKey]) }

    @Test func signedNoteHasC2SPShapeAndVerifies() throws {
        let root = MerkleHash.root(leafHashes: [MerkleHash.leaf([1])])
        let note = try Checkpoint(origin: "warden/node-1/ledger", size: 1, root: root).sign(with: signer)
        let lines = note.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "warden/node-1/ledger")
        #expect(lines[1] == "1")
        #expect(lines[2] == Substring(Data(root).base64EncodedString()))
        #expect(lines[3] == "")
        #expect(lines[4].hasPrefix("— warden/node-1/ledger "))
        // The signature blob is the 4-byte key hash followed by the Ed25519 signature.
        let blob = Data(base64Encoded: String(lines[4].split(separator: " ")[2])) ?? Data()
        #expect(blob.count == 68)
        #expect(Array(blob.prefix(4)) == Checkpoint.keyHash(name: "warden/node-1/ledger", key: key.publicKey))
        let parsed = try SignedCheckpoint.parse(note, source: "t")
        #expect(parsed.checkpoint.size == 1 && parsed.checkpoint.root == root)
        #expect(parsed.verifiedSigner(in: keyring) == signer.kid)
        // Another key does not verify it.
        #expect(parsed.verifiedSigner(in: LedgerKeyring(publicKeys: [Curve25519.Signing.PrivateKey().publicKey])) == nil)
    }

    @Test func alteredNotesNeverVerify() throws {
        let note = try Checkpoint(origin: "warden/n/ledger", size: 42, root: [UInt8](repeating: 7, count: 32)).sign(with: signer)
        let bytes = Array(note.utf8)
        var verified = 0
        for i in bytes.indices {
            var b = bytes
            b[i] ^= 0x01
            guard let text = String(validating: b, as: UTF8.self),
                let cp = try? SignedCheckpoint.parse(text, source: "flip")
            else { continue }
            if cp.verifiedSigner(in: keyring) != nil { verified += 1 }
        }
        #expect(verified == 0)
    }

    @Test(arguments: [
        "", "\n\n", "a\n1\nAAAA\n\n— a AAAA\n", "a\n01\n" + Data(count: 32).base64EncodedString() + "\n\n— a AAAAAAAA\n",
        "a\n1\n" + Data(count: 32).base64EncodedString() + "\n\n", "a\n1\n" + Data(count: 32).base64EncodedString() + "\n\n— a\n",
        "a\n-1\n" + Data(count: 32).base64EncodedString() + "\n\n— a AAAAAAAA\n",
        "a\r\n1\n" + Data(count: 32).base64EncodedString() + "\n\n— a AAAAAAAA\n",
        "a\n1\n" + Data(count: 32).base64EncodedString() + "\n\n— a AAAAAAAA",
    ])
    func malformedNotesAreRejected(_ text: String) {
        #expect(throws: WardenError.self) { try SignedCheckpoint.parse(text, source: "bad") }
    }

    /// Random garbage never crashes the parser (property test).
    @Test func parserSurvivesRandomInput() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("ab1\n— +/=AZ ".unicodeScalars)
        for _ in 0..<2000 {
            let n = Int.random(in: 0..<80, using: &rng)
            let text = String(String.UnicodeScalarView((0..<n).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] }))
            _ = try? SignedCheckpoint.parse(text, source: "fuzz")
        }
    }
}

@Suite struct RecordTests {
    @Test func parseRejectsNonCanonicalExtraAndMissingMembers() throws {
        let env = try TestLedgerEnv()
        let ledger = try env.ledger()
        let r = try ledger.appendBlocking(LedgerEntry(event: .keyAdded, tenant: "t", actor: "a", subject: "s", details: ["k": "v"]))
        ledger.close()
        let stored = try env.store.records(from: r.seq, limit: 1)[0]
        let good = try LedgerRecord.parse(stored.bytes)
        #expect(good.event == "key.added" && good.decision == nil && good.seq == 0)
        let text = String(decoding: stored.bytes, as: UTF8.self)
        let variants = [
            text.replacingOccurrences(of: "{\"actor\"", with: "{ \"actor\""),                // whitespace
            text.replacingOccurrences(of: "\"kid\":", with: "\"kid\" :"),
            text.replacingOccurrences(of: "}", with: ",\"extra\":1}", options: .backwards, range: text.range(of: "}", options: .backwards)),
            text.replacingOccurrences(of: "\"decision\":null,", with: ""),
            text.replacingOccurrences(of: "\"decision\":null", with: "\"decision\":5"),
            text.replacingOccurrences(of: "\"seq\":0", with: "\"seq\":\"0\""),
            text.replacingOccurrences(of: "\"seq\":0", with: "\"seq\":0.0"),
            text + " ",
        ]
        for v in variants {
            #expect(v != text)
            #expect(throws: WardenError.self) { try LedgerRecord.parse(Array(v.utf8)) }
        }
    }

    /// The fixed-order fast encoding equals the generic RFC 8785 encoder for arbitrary
    /// field contents (escapes, non-ASCII, nested details), signed and unsigned.
    @Test func fastCanonicalEncodingMatchesGenericEncoder() throws {
        let alphabet = Array("aZ09 \"\\/\n\t\u{1}é€😀{}[],:".unicodeScalars)
        func text() -> String {
            String(String.UnicodeScalarView((0..<Int.random(in: 0..<12)).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] }))
        }
        for _ in 0..<500 {
            let r = LedgerRecord(seq: Int64.random(in: 0...Int64.max), time: Int64.random(in: Int64.min...Int64.max), node: text(),
                                 tenant: text(), actor: text(), event: text(), subject: text(), decision: Bool.random() ? text() : nil,
                                 details: .object([text(): .string(text()), "sig": .string(text()), "n": .array([.int(-1), .null, .bool(true)])]),
                                 prev: text(), kid: text(), sig: text())
            #expect(r.canonicalBytes == CanonicalJSON.encode(r.json))
            #expect(r.unsignedBytes == CanonicalJSON.encode(r.unsignedJSON))
        }
    }

    @Test func entryValidationNamesTheField() throws {
        let big = JSONValue.object(["x": .string(String(repeating: "a", count: LedgerEntry.maxDetailsBytes))])
        #expect(throws: WardenError.self) { try LedgerEntry(event: .decision, tenant: "", actor: "", subject: "", details: big).validate() }
        #expect(throws: WardenError.self) { try LedgerEntry(event: .decision, tenant: "", actor: "", subject: "", details: "x").validate() }
        try LedgerEntry(event: .decision, tenant: "", actor: "", subject: "", details: ["ok": true]).validate()
        #expect(throws: WardenError.self) { try Ledger.validateNode("bad node") }
    }
}
