import ArgumentParser
import Foundation
import WardenCore
import WardenLedger

/// `warden audit proof SEQ`: an RFC 9162 inclusion proof against the latest checkpoint.
struct AuditProof: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proof", abstract: "Print the inclusion proof of record SEQ in the latest signed checkpoint.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Sequence number.") var seq: Int64
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let ctx = try AuditContext(global)
        guard let checkpoint = try ctx.latestCheckpoint() else {
            throw WardenError.notFound("ledger.no_checkpoint", "the ledger has no checkpoint yet (warden audit checkpoint)")
        }
        guard checkpoint.verifiedSigner(in: try ctx.keyring()) != nil else {
            throw WardenError.denied("ledger.checkpoint_signature", "the latest checkpoint (size \(checkpoint.checkpoint.size)) is not signed by a trusted runner key")
        }
        let proof = try LedgerProofs.inclusion(store: ctx.store, seq: seq, checkpoint: checkpoint)
        if json {
            Terminal.json(proof.json)
        } else {
            print("seq: \(proof.seq)")
            print("record hash: \(Hex.encode(proof.recordHash))")
            print("tree size: \(proof.treeSize)")
            print("root: \(Hex.encode(checkpoint.checkpoint.root))")
            print("path:")
            for p in proof.path { print("  \(Hex.encode(p))") }
            print("checkpoint:")
            print(checkpoint.note, terminator: "")
        }
    }
}
