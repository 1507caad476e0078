import Crypto
import Foundation
import WardenCore
import WardenHome
import WardenTrust

/// The node's runner key from the trust store as a `RecordSigner`. Only Ed25519 is accepted:
/// the ledger must be verifiable, and unforgeable, with the public key alone.
public struct RunnerRecordSigner: RecordSigner {
    private let signer: Signer
    public let publicKey: Curve25519.Signing.PublicKey
    public var kid: String { signer.kid }
    /// Trust-store name of the key.
    public var name: String { signer.name }

    public init(_ signer: Signer) throws(WardenError) {
        guard signer.alg == .EdDSA, case .ed25519(let pub) = signer.publicKey else {
            throw .denied("ledger.runner_alg", "runner key \"\(signer.name)\" is \(signer.alg.rawValue); the ledger needs an Ed25519 key")
        }
        self.signer = signer
        self.publicKey = pub
    }

    public func sign(_ message: [UInt8]) throws(WardenError) -> [UInt8] { try signer.sign(message) }

    /// The runner key named in config (`node.runner_key`) or else the only usable runner key
    /// with a private half in this home. Fails closed with a message saying how to make one.
    public static func load(trust: TrustStore, config: LedgerConfig, now: Date = Date()) throws(WardenError) -> RunnerRecordSigner {
        let signer: Signer
        if let name = config.runnerKey {
            signer = try trust.signer(named: name, role: .runner, now: now)
        } else {
            do throws(WardenError) {
                signer = try trust.soleSigner(role: .runner, now: now)
            } catch {
                throw WardenError(error.category, "ledger.no_runner_key",
                                  "the ledger is signed by this node's runner key: \(error.message) (or set node.runner_key in config.json)")
            }
        }
        return try RunnerRecordSigner(signer)
    }
}

extension LedgerKeyring {
    /// Every Ed25519 runner key in the trust store, including revoked and expired ones
    /// (records they signed while valid stay verifiable; see docs/LEDGER.md).
    public static func runnerKeys(in trust: TrustStore) throws(WardenError) -> LedgerKeyring {
        var keys: [String: Curve25519.Signing.PublicKey] = [:]
        for k in try trust.list() where k.role == .runner {
            if case .ed25519(let pub) = try k.publicKey() { keys[k.kid] = pub }
        }
        return LedgerKeyring(keys: keys)
    }

    /// A keyring from PEM texts (offline verification).
    public static func fromPEMs(_ pems: [(text: String, source: String)]) throws(WardenError) -> LedgerKeyring {
        var keys: [Curve25519.Signing.PublicKey] = []
        for p in pems { keys.append(try KeyCodec.ed25519PublicKey(fromPEM: p.text, source: p.source)) }
        return LedgerKeyring(publicKeys: keys)
    }
}

/// Opening the node's ledger from a home: what `warden run` and `warden audit` use.
public enum NodeLedger {
    /// Opens the ledger for appending with the runner key and config of `home`, and records
    /// the opening (`ledger.opened`). Close it with `close()` when done.
    public static func open(home: Home, db: WardenDatabase, recordOpening: Bool = true) async throws(WardenError) -> Ledger {
        let config = try LedgerConfig(config: HomeConfig.load(home: home))
        let signer = try RunnerRecordSigner.load(trust: TrustStore(home: home, db: db), config: config)
        let store = SQLiteLedgerStore(database: db)
        if recordOpening {
            return try await Ledger.open(store: store, signer: signer, node: config.node, policy: config.checkpoints)
        }
        return try Ledger(store: store, signer: signer, node: config.node, policy: config.checkpoints)
    }
}
