import ArgumentParser
import Foundation
import WardenCore
import WardenLedger
import WardenTrust

/// `warden audit export DIR`: records (JSONL), checkpoints and the runner public keys.
struct AuditExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export the ledger to a new directory: records.jsonl, checkpoints/, keys/ (verify with audit verify --offline).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "A directory that does not exist yet (or is empty).") var directory: String
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let ctx = try AuditContext(global)
        var pems: [String: String] = [:]
        for k in try ctx.trust.list() where k.role == .runner { pems[k.kid] = k.publicKeyPEM }
        let origin = try ctx.latestCheckpoint()?.checkpoint.origin ?? Checkpoint.origin(node: ctx.config.node)
        let count = try LedgerExport.write(store: ctx.store, origin: origin, publicKeyPEMs: pems, to: directory)
        if json {
            Terminal.json(["directory": .string(directory), "records": .int(count)])
        } else {
            print("exported \(count) records to \(directory)")
        }
    }
}
