import ArgumentParser
import Foundation
import WardenCore
import WardenLedger

/// `warden audit show [SEQ | --tail N] [--json]`
struct AuditShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show ledger records (one record, the last N, or all).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Sequence number of one record.") var seq: Int64?
    @Option(help: "Show the last N records.") var tail: Int?
    @Flag(help: "Print one JSON object per line: {\"hash\", \"record\"}.") var json = false

    func run() async throws {
        if seq != nil && tail != nil { throw WardenError.usage("audit.usage", "give either SEQ or --tail N, not both") }
        if let tail, tail < 1 { throw WardenError.usage("audit.usage", "--tail must be at least 1") }
        let ctx = try AuditContext(global)
        let size = try ctx.store.state().size
        let records: [StoredRecord]
        if let seq {
            guard seq >= 0, seq < size else {
                throw WardenError.notFound("ledger.no_such_seq", "no record with seq \(seq) (the ledger has \(size) records)")
            }
            records = try ctx.store.records(from: seq, limit: 1)
        } else if let tail {
            records = try ctx.store.records(from: max(0, size - Int64(tail)), limit: tail)
        } else {
            records = try ctx.store.records(from: 0, limit: Int(size))
        }
        for r in records {
            // Records are shown as stored; a record that no longer parses is reported, not hidden.
            let record: LedgerRecord
            do throws(WardenError) {
                record = try LedgerRecord.parse(r.bytes)
            } catch {
                throw WardenError.denied("ledger.record_malformed", "seq \(r.seq): \(error.message) (run warden audit verify)")
            }
            if json {
                Terminal.json(["hash": .string(Hex.encode(r.hash)), "record": record.json])
            } else {
                let time = Date(timeIntervalSince1970: Double(record.time) / 1000)
                let decision = record.decision.map { " \($0)" } ?? ""
                // JSON escapes C0 controls but not DEL, C1 or bidi controls: escaped for the terminal.
                print("\(record.seq) \(Timestamp.rfc3339(time)) \(record.event)\(decision) tenant=\(DisplayText.escape(record.tenant)) actor=\(DisplayText.escape(record.actor)) subject=\(DisplayText.escape(record.subject)) details=\(DisplayText.escape(CanonicalJSON.string(record.details), limit: 4000))")
            }
        }
    }
}
