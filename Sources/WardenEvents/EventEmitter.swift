import Dispatch
import Foundation
import WardenCore
import WardenLedger

/// Fans each event out to the configured sinks. `emit` never waits on a network.
///
///     let events = try EventEmitter.open(home: home, ledger: ledger)   // sinks from config.json
///     events.emit(.execution(outcome, node: ledger.node, timeMillis: Ledger.nowMillis()))
///     events.close()
public final class EventEmitter: Sendable {
    public let sinks: [EventSink]

    public init(sinks: [EventSink]) {
        self.sinks = sinks
    }

    public func emit(_ event: CloudEvent) {
        for s in sinks { s.submit(event) }
    }

    /// Closes every sink, giving remote ones up to `timeoutSeconds` to drain.
    public func close(timeoutSeconds: Double = 2) {
        for s in sinks { s.close(timeoutSeconds: timeoutSeconds) }
    }
}

/// Records delivery failures in the ledger (`sink.delivery_failed`) from a serial background
/// queue, so a failing sink costs the emitting thread nothing. Failures are never emitted as
/// events themselves (no feedback loop).
public final class LedgerFailureRecorder: Sendable {
    private let ledger: Ledger
    private let queue = DispatchQueue(label: "warden.events.failures")
    private let group = DispatchGroup()

    public init(ledger: Ledger) {
        self.ledger = ledger
    }

    public var handler: DeliveryFailureHandler {
        { [self] failure in self.record(failure) }
    }

    public func record(_ f: DeliveryFailure) {
        let ledger = self.ledger
        queue.async(group: group) {
            let entry = LedgerEntry(
                event: .sinkDeliveryFailed, tenant: "", actor: "warden:events", subject: f.sink,
                details: ["sink": .string(f.sink), "event_id": .string(f.eventID), "event_type": .string(f.eventType),
                          "attempts": .int(Int64(f.attempts)), "error": .string(String(f.reason.prefix(500)))])
            do throws(WardenError) {
                _ = try ledger.appendBlocking(entry)
            } catch {
                FileHandle.standardError.write(Data("warden: could not record event delivery failure (\(f.sink): \(f.reason)): \(error.message)\n".utf8))
            }
        }
    }

    /// Waits until every failure reported so far is durable in the ledger.
    public func flush() {
        group.wait()
    }
}
