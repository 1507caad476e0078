import ArgumentParser
import Foundation
import WardenCore
import WardenHome
import WardenLedger
import WardenTrust

/// `warden audit`: verify, show, prove, checkpoint and export the audit ledger.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Verify, inspect, prove, checkpoint and export the signed audit ledger.",
        subcommands: [AuditVerify.self, AuditShow.self, AuditProof.self, AuditCheckpoint.self, AuditExport.self])
}

/// The pieces every `audit` subcommand needs from the home.
struct AuditContext {
    let home: Home
    let db: WardenDatabase
    let trust: TrustStore
    let store: SQLiteLedgerStore
    let config: LedgerConfig

    init(_ global: GlobalOptions) throws(WardenError) {
        (home, db) = try global.openDatabase()
        trust = TrustStore(home: home, db: db)
        store = SQLiteLedgerStore(database: db)
        config = try LedgerConfig(config: HomeConfig.load(home: home))
    }

    /// Every runner key of the trust store; fails when there is none to verify with.
    func keyring() throws(WardenError) -> LedgerKeyring {
        let ring = try LedgerKeyring.runnerKeys(in: trust)
        guard !ring.keys.isEmpty else {
            throw .usage("ledger.no_runner_key", "no runner key in the trust store to verify the ledger with (warden key generate NAME --role runner, or warden key trust PUB.pem --role runner)")
        }
        return ring
    }

    /// The latest stored checkpoint, parsed.
    func latestCheckpoint() throws(WardenError) -> SignedCheckpoint? {
        guard let c = try store.latestCheckpoint() else { return nil }
        return try SignedCheckpoint.parse(c.note, source: "checkpoint \(c.size)")
    }
}

/// Reads an externally held checkpoint file given with `--checkpoint`.
func readTrustedCheckpoint(_ path: String?) throws(WardenError) -> (note: String, source: String)? {
    guard let path else { return nil }
    let bytes = try SecureFile.readSmall(path: path, limit: 16 * 1024)
    guard let text = String(validating: bytes, as: UTF8.self) else {
        throw .usage("ledger.checkpoint_malformed", "\(path): not UTF-8 text")
    }
    return (text, path)
}
