import Foundation
import WardenCore
import WardenHome
import WardenLedger

/// The `events` section of `config.json`:
///
///     "events": {"sinks": [
///         {"type": "stdout"},
///         {"type": "file", "path": "events/events.jsonl", "rotate_bytes": 10485760, "keep": 5},
///         {"type": "http", "url": "http://127.0.0.1:8080/events", "max_attempts": 5,
///          "backoff_ms": 200, "timeout_ms": 2000, "queue_capacity": 1000}]}
///
/// No section, or no sinks: events are not emitted anywhere. Relative file paths are under
/// the home.
public enum SinkSpec: Sendable, Equatable {
    case stdout
    case file(path: String, rotateBytes: Int64, keep: Int)
    case http(HTTPEndpoint, HTTPSink.Settings)
}

public struct EventsConfig: Sendable, Equatable {
    public var sinks: [SinkSpec]

    public init(sinks: [SinkSpec]) { self.sinks = sinks }

    public init(config: HomeConfig, homeRoot: String) throws(WardenError) {
        var section = try config.section("events")
        let list = try section.array("sinks") ?? []
        try section.finish()
        var sinks: [SinkSpec] = []
        for (i, item) in list.enumerated() {
            var s = try ConfigSection(item, file: config.path, path: "events.sinks[\(i)]")
            switch try s.string("type") {
            case "stdout":
                sinks.append(.stdout)
            case "file":
                guard let path = try s.string("path"), !path.isEmpty else { throw s.fail("path", "is required for a file sink") }
                let rotate = try s.int("rotate_bytes", in: 1024...(1 << 40)) ?? (10 << 20)
                let keep = try s.int("keep", in: 1...100) ?? 5
                sinks.append(.file(path: path.hasPrefix("/") ? path : homeRoot + "/" + path, rotateBytes: rotate, keep: Int(keep)))
            case "http":
                guard let url = try s.string("url") else { throw s.fail("url", "is required for an http sink") }
                let endpoint = try HTTPEndpoint(parsing: url)
                let settings = HTTPSink.Settings(
                    maxAttempts: Int(try s.int("max_attempts", in: 1...20) ?? 5),
                    backoffMillis: Int(try s.int("backoff_ms", in: 1...60_000) ?? 200),
                    timeoutMillis: Int(try s.int("timeout_ms", in: 1...120_000) ?? 2000),
                    queueCapacity: Int(try s.int("queue_capacity", in: 1...1_000_000) ?? 1000))
                sinks.append(.http(endpoint, settings))
            case let other:
                throw s.fail("type", "must be stdout, file or http, not \(other.map { "\"\($0)\"" } ?? "missing")")
            }
            try s.finish()
        }
        self.sinks = sinks
    }
}

extension EventEmitter {
    /// Builds the sinks described by `config`, reporting failures to `onFailure`.
    public convenience init(config: EventsConfig, onFailure: @escaping DeliveryFailureHandler) throws(WardenError) {
        var sinks: [EventSink] = []
        for spec in config.sinks {
            switch spec {
            case .stdout: sinks.append(StdoutSink(onFailure: onFailure))
            case .file(let path, let rotate, let keep): sinks.append(try FileSink(path: path, rotateBytes: rotate, keep: keep, onFailure: onFailure))
            case .http(let endpoint, let settings): sinks.append(HTTPSink(endpoint: endpoint, settings: settings, onFailure: onFailure))
            }
        }
        self.init(sinks: sinks)
    }

    /// The emitter for `home`'s config, recording delivery failures in `ledger`.
    public static func open(home: Home, ledger: Ledger) throws(WardenError) -> EventEmitter {
        let config = try EventsConfig(config: HomeConfig.load(home: home), homeRoot: home.root)
        return try EventEmitter(config: config, onFailure: LedgerFailureRecorder(ledger: ledger).handler)
    }
}
