import WardenCore
import WardenEvents
import WardenHome
import WardenLedger

/// What running tools needs open: the home, its database, the node's ledger and the event
/// sinks. A one-shot `warden run` opens it for one run; `warden serve` once for all of them.
struct RunEnvironment: Sendable {
    let home: Home
    let db: WardenDatabase
    let ledger: Ledger
    let node: String
    let emitter: EventEmitter
    private let failures: LedgerFailureRecorder

    /// `recordOpening`: record `ledger.opened` (a server does; a one-shot run does not).
    static func open(home explicit: String?, recordOpening: Bool) async throws(WardenError) -> RunEnvironment {
        let (home, db) = try GlobalOptions.openDatabase(explicit)
        let homeConfig = try HomeConfig.load(home: home)
        let config = try LedgerConfig(config: homeConfig)
        let eventsConfig = try EventsConfig(config: homeConfig, homeRoot: home.root)
        let ledger = try await NodeLedger.open(home: home, db: db, recordOpening: recordOpening)
        let failures = LedgerFailureRecorder(ledger: ledger)
        let emitter = try EventEmitter(config: eventsConfig, onFailure: failures.handler)
        return RunEnvironment(home: home, db: db, ledger: ledger, node: config.node, emitter: emitter, failures: failures)
    }

    /// Sinks drain (bounded), their delivery failures become ledger records, then the ledger closes.
    func close() {
        emitter.close()
        failures.flush()
        ledger.close()
    }
}
