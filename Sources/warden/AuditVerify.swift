import ArgumentParser
import Foundation
import WardenCore
import WardenHome
import WardenLedger

/// `warden audit verify`: signatures, hash chain, and Merkle roots against every checkpoint,
/// online (home database + trust store) or offline (an export + public key files only).
struct AuditVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify the ledger: every signature, the hash chain, and the Merkle root of every checkpoint.",
        discussion: """
            Exit 0 when everything verifies; 126 naming the first bad seq and what is wrong otherwise.
            --checkpoint FILE adds a checkpoint held elsewhere (e.g. from `warden audit checkpoint` or a \
            CloudEvent): it detects truncation or rollback below it, which the ledger alone cannot prove.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Verify an export directory (from `warden audit export`) instead of the home ledger.") var offline: String?
    @Option(name: .customLong("key"), help: "Trusted Ed25519 public key PEM (repeatable; required with --offline).") var keys: [String] = []
    @Option(help: "A signed checkpoint held elsewhere; the ledger must contain and match it.") var checkpoint: String?
    @Flag(help: "Print the report as JSON.") var json = false

    func run() async throws {
        let trusted = try readTrustedCheckpoint(checkpoint)
        let report: VerificationReport
        if let dir = offline {
            guard !keys.isEmpty else {
                throw WardenError.usage("ledger.key_required", "--offline needs the signer's public key: --key PUB.pem (warden key export NAME)")
            }
            var pems: [(text: String, source: String)] = []
            for path in keys {
                pems.append((String(decoding: try SecureFile.readSmall(path: path, limit: 64 * 1024), as: UTF8.self), path))
            }
            report = try LedgerExport.verify(directory: dir, keyring: try LedgerKeyring.fromPEMs(pems), trusted: trusted)
        } else {
            guard keys.isEmpty else {
                throw WardenError.usage("ledger.key_offline_only", "--key is for --offline; online verification uses the trust store's runner keys")
            }
            let ctx = try AuditContext(global)
            report = try LedgerVerifier.verify(store: ctx.store, keyring: try ctx.keyring(), origin: nil, trusted: trusted)
            // The state row (size, last hash) is written in the same transaction as every append:
            // records missing from the end of the table are a truncation the chain alone cannot show.
            let state = try ctx.store.state()
            if report.ok, state.size != Int64(report.records) {
                throw WardenError.denied("ledger.state_mismatch",
                    "ledger verification failed: the ledger state records \(state.size) records but \(report.records) are present (records deleted or added outside Warden)")
            }
        }
        if json {
            Terminal.json(report.json)
        } else if report.ok {
            print("ok: \(report.records) records, \(report.checkpointsVerified) checkpoints verified (latest covers \(report.latestCheckpointSize.map(String.init) ?? "none"))")
            print("root: \(Hex.encode(report.root))")
            if report.latestCheckpointSize.map({ $0 < report.records }) ?? (report.records > 0) {
                Terminal.warn("note: records after the latest checkpoint are chained and signed but not yet checkpointed (warden audit checkpoint)")
            }
        }
        if let f = report.failure {
            if json { throw ExitCode(WardenExit.denied) }
            let at = f.seq.map { "at seq \($0)" } ?? "in a checkpoint"
            throw WardenError.denied(f.code, "ledger verification failed \(at): \(f.message)")
        }
    }
}
