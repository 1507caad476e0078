import ArgumentParser
import Foundation
import WardenCore
import WardenLedger

/// `warden audit checkpoint`: sign and store a checkpoint now; print the signed note so it
/// can be kept elsewhere (the defence against truncation and rollback).
struct AuditCheckpoint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint", abstract: "Sign a checkpoint of the ledger now and print it (C2SP signed note).")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let ctx = try AuditContext(global)
        let ledger = try await NodeLedger.open(home: ctx.home, db: ctx.db, recordOpening: false)
        defer { ledger.close() }
        let cp = try await ledger.checkpoint()
        if json {
            Terminal.json(["size": .int(Int64(cp.checkpoint.size)), "root": .string(Hex.encode(cp.checkpoint.root)),
                           "origin": .string(cp.checkpoint.origin), "note": .string(cp.note)])
        } else {
            print(cp.note, terminator: "")
        }
    }
}
