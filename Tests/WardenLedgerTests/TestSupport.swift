import Crypto
import Foundation
import WardenCore
import WardenHome
import WardenTrust
@testable import WardenLedger

/// A fresh temporary directory per test.
func temporaryDirectory(_ tag: String = "ledger") -> String {
    let path = NSTemporaryDirectory() + "warden-\(tag)-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    chmod(path, 0o700)
    return path
}

/// A home database, a signer and a store in a temporary directory.
struct TestLedgerEnv {
    let dir: String
    let database: WardenDatabase
    let store: SQLiteLedgerStore
    let key: Curve25519.Signing.PrivateKey
    let signer: Ed25519RecordSigner
    var keyring: LedgerKeyring { LedgerKeyring(publicKeys: [key.publicKey]) }
    let node = "node-1"
    var origin: String { Checkpoint.origin(node: node) }

    init(key: Curve25519.Signing.PrivateKey = Curve25519.Signing.PrivateKey()) throws {
        dir = temporaryDirectory()
        database = try WardenDatabase(path: dir + "/warden.db")
        store = SQLiteLedgerStore(database: database)
        self.key = key
        signer = Ed25519RecordSigner(privateKey: key)
    }

    func ledger(policy: CheckpointPolicy = CheckpointPolicy(everyRecords: 10, everyMillis: 600_000)) throws -> Ledger {
        try Ledger(store: store, signer: signer, node: node, policy: policy)
    }

    /// Appends `count` decision records with a counter in details.
    @discardableResult
    func fill(_ ledger: Ledger, count: Int, from start: Int = 0) async throws -> [AppendedRecord] {
        var out: [AppendedRecord] = []
        for i in start..<(start + count) {
            out.append(try await ledger.append(event: .decision, tenant: "acme", actor: "cli:alice", subject: "hello@1.0.0",
                                               decision: i % 3 == 0 ? "deny" : "allow", details: ["n": .int(Int64(i)), "reasons": [.string("rule \(i)")]]))
        }
        return out
    }

    /// The SubjectPublicKeyInfo PEM of the test key.
    var publicPEM: String {
        KeyCodec.publicPEM(.ed25519(key.publicKey))
    }
}
