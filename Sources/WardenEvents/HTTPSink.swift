import Foundation
import WardenCore

/// POSTs each event (structured mode) from a background thread. `submit` only enqueues into
/// a bounded queue and returns at once: when the queue is full the event is dropped and the
/// drop reported, so a slow or dead endpoint can never block or slow an execution.
/// Retries: transport errors, 408, 429 and 5xx, up to `maxAttempts`, with exponential backoff
/// (`backoffMillis` doubling, capped at 10 s). Other statuses fail at once.
public final class HTTPSink: EventSink, @unchecked Sendable {
    public struct Settings: Sendable, Equatable {
        public var maxAttempts: Int
        public var backoffMillis: Int
        public var timeoutMillis: Int
        public var queueCapacity: Int

        public init(maxAttempts: Int = 5, backoffMillis: Int = 200, timeoutMillis: Int = 2000, queueCapacity: Int = 1000) {
            self.maxAttempts = max(1, maxAttempts)
            self.backoffMillis = max(1, backoffMillis)
            self.timeoutMillis = max(1, timeoutMillis)
            self.queueCapacity = max(1, queueCapacity)
        }
    }

    public let endpoint: HTTPEndpoint
    public let settings: Settings
    public var name: String { endpoint.description }
    private let onFailure: DeliveryFailureHandler

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [CloudEvent] = []
    private var stopping = false
    private var finished = false
    private var drainDeadline = Date.distantFuture

    public init(endpoint: HTTPEndpoint, settings: Settings = Settings(), onFailure: @escaping DeliveryFailureHandler) {
        self.endpoint = endpoint
        self.settings = settings
        self.onFailure = onFailure
        let thread = Thread { [self] in self.run() }
        thread.name = "warden-events-http"
        thread.start()
    }

    public func submit(_ event: CloudEvent) {
        condition.lock()
        let accepted = !stopping && queue.count < settings.queueCapacity
        if accepted {
            queue.append(event)
            condition.signal()
        }
        let why = stopping ? "sink is closed" : "queue full (\(settings.queueCapacity) events waiting)"
        condition.unlock()
        if !accepted {
            onFailure(DeliveryFailure(sink: name, eventID: event.id, eventType: event.type, attempts: 0, reason: why))
        }
    }

    /// Delivers what is queued for up to `timeoutSeconds`, then reports whatever is still
    /// queued as failed and returns. A request in flight at that point finishes (or times
    /// out) in the background and is reported then.
    public func close(timeoutSeconds: Double) {
        condition.lock()
        stopping = true
        drainDeadline = Date(timeIntervalSinceNow: timeoutSeconds)
        condition.broadcast()
        while !finished {
            if !condition.wait(until: drainDeadline) { break }
        }
        let left = queue
        queue.removeAll()
        condition.unlock()
        for e in left {
            onFailure(DeliveryFailure(sink: name, eventID: e.id, eventType: e.type, attempts: 0, reason: "not delivered before shutdown"))
        }
    }

    /// Number of events waiting (for tests and diagnostics).
    public var queued: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty || (stopping && Date() >= drainDeadline) {
                let left = queue
                queue.removeAll()
                finished = true
                condition.broadcast()
                condition.unlock()
                for e in left {
                    onFailure(DeliveryFailure(sink: name, eventID: e.id, eventType: e.type, attempts: 0, reason: "not delivered before shutdown"))
                }
                return
            }
            let event = queue.removeFirst()
            condition.unlock()
            deliver(event)
        }
    }

    private func deliver(_ event: CloudEvent) {
        let body = event.encoded
        var attempt = 0
        var reason = ""
        while attempt < settings.maxAttempts {
            attempt += 1
            switch HTTPPoster.post(endpoint, body: body, contentType: CloudEvent.contentType + "; charset=utf-8", timeoutMillis: settings.timeoutMillis) {
            case .status(let code) where (200..<300).contains(code):
                return
            case .status(let code):
                reason = "HTTP \(code)"
                // Other client errors will not succeed on retry.
                if !(code == 408 || code == 429 || code >= 500) {
                    onFailure(DeliveryFailure(sink: name, eventID: event.id, eventType: event.type, attempts: attempt, reason: reason))
                    return
                }
            case .transport(let why):
                reason = why
            }
            if attempt < settings.maxAttempts && !sleepBackoff(attempt) { break }
        }
        onFailure(DeliveryFailure(sink: name, eventID: event.id, eventType: event.type, attempts: attempt, reason: reason))
    }

    /// Sleeps before retry `attempt + 1`; false when shutdown's drain deadline cuts it short.
    private func sleepBackoff(_ attempt: Int) -> Bool {
        let millis = min(10_000, settings.backoffMillis << min(attempt - 1, 16))
        let until = Date(timeIntervalSinceNow: Double(millis) / 1000)
        condition.lock()
        defer { condition.unlock() }
        while Date() < until {
            if stopping && Date() >= drainDeadline { return false }
            _ = condition.wait(until: min(until, stopping ? drainDeadline : until))
        }
        return !(stopping && Date() >= drainDeadline)
    }
}
