import WardenCore
import WardenNet

/// What a run's network did: the grant, every DNS pin, every connection (allowed or not), capped
/// so a tool cannot grow Warden's memory without bound. Goes into the outcome record and event.
public struct NetworkReport: Sendable, Equatable {
    public struct Pin: Sendable, Equatable {
        public var name: String
        public var type: String
        public var answers: [String]
        /// Answers dropped because they fell into a refused range (rebinding).
        public var dropped: [String]
        public var pinnedAt: Int64
    }

    public struct Connection: Sendable, Equatable {
        public var dst: String
        public var port: UInt16
        public var proto: String
        public var name: String?
        public var sni: String?
        /// allowed, denied, audit (would be denied; audit-only let it through), failed (dial error).
        public var verdict: String
        public var reason: String?
        public var bytesOut: Int64
        public var bytesIn: Int64
        public var millis: Int64
    }

    public static let maxConnections = 512
    public static let maxPins = 256

    public var grant: [String]
    public var mode: String
    public var dns: [Pin] = []
    public var connections: [Connection] = []
    /// Connections and queries refused (including those past the cap).
    public var denied = 0
    public var truncated = false
    /// Set when the drift monitor killed the run.
    public var drift: String?

    public var jsonValue: JSONValue {
        var o: [String: JSONValue] = [
            "grant": .array(grant.map { .string($0) }),
            "mode": .string(mode),
            "dns": .array(dns.map { p in
                .object(["name": .string(p.name), "type": .string(p.type), "answers": .array(p.answers.map { .string($0) }),
                         "dropped": .array(p.dropped.map { .string($0) }), "pinned_at": .int(p.pinnedAt)])
            }),
            "connections": .array(connections.map { c in
                .object(["dst": .string(c.dst), "port": .int(Int64(c.port)), "proto": .string(c.proto),
                         "name": c.name.map { .string($0) } ?? .null, "sni": c.sni.map { .string($0) } ?? .null,
                         "verdict": .string(c.verdict), "reason": c.reason.map { .string($0) } ?? .null,
                         "bytes_out": .int(c.bytesOut), "bytes_in": .int(c.bytesIn), "ms": .int(c.millis)])
            }),
            "denied": .int(Int64(denied)),
            "truncated": .bool(truncated),
        ]
        if let drift { o["drift"] = .string(drift) }
        return .object(o)
    }
}
