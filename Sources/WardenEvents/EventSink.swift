import WardenCore

/// A failed delivery, reported to the emitter's failure handler (which records it in the
/// ledger as `sink.delivery_failed`).
public struct DeliveryFailure: Sendable, Equatable {
    public let sink: String
    public let eventID: String
    public let eventType: String
    public let attempts: Int
    public let reason: String

    public init(sink: String, eventID: String, eventType: String, attempts: Int, reason: String) {
        self.sink = sink
        self.eventID = eventID
        self.eventType = eventType
        self.attempts = attempts
        self.reason = reason
    }
}

public typealias DeliveryFailureHandler = @Sendable (DeliveryFailure) -> Void

/// Where events go. `submit` must never wait on a network: local sinks write synchronously
/// (bounded by the local disk), remote sinks enqueue into a bounded queue.
public protocol EventSink: Sendable {
    /// A short description for failure records (`stdout`, `file:/path`, `http://host/path`).
    var name: String { get }
    func submit(_ event: CloudEvent)
    /// Flushes and stops; waits at most `timeoutSeconds` for in-flight deliveries.
    func close(timeoutSeconds: Double)
}
