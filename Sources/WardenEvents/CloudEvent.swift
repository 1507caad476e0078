import Foundation
import WardenCore

/// A CloudEvents 1.0 event in JSON structured mode (`application/cloudevents+json`).
/// Required attributes: specversion, id, source, type; optional subject, time,
/// datacontenttype; Warden's extension attribute `tenantid`; `data` is a JSON object.
public struct CloudEvent: Sendable, Equatable {
    public static let specVersion = "1.0"
    public static let contentType = "application/cloudevents+json"

    public var id: String
    /// `warden://<node>`
    public var source: String
    public var type: String
    public var subject: String?
    /// Milliseconds since the epoch; encoded as RFC 3339 UTC with milliseconds.
    public var timeMillis: Int64
    public var tenantID: String
    public var data: JSONValue

    public init(id: String = UUID().uuidString.lowercased(), node: String, type: CloudEventType, subject: String?,
                timeMillis: Int64, tenantID: String, data: JSONValue) {
        self.init(id: id, source: "warden://\(node)", typeName: type.rawValue, subject: subject, timeMillis: timeMillis,
                  tenantID: tenantID, data: data)
    }

    public init(id: String, source: String, typeName: String, subject: String?, timeMillis: Int64, tenantID: String, data: JSONValue) {
        self.id = id
        self.source = source
        self.type = typeName
        self.subject = subject
        self.timeMillis = timeMillis
        self.tenantID = tenantID
        self.data = data
    }

    /// The structured-mode JSON object.
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "specversion": .string(Self.specVersion), "id": .string(id), "source": .string(source), "type": .string(type),
            "time": .string(RFC3339.format(millis: timeMillis)), "datacontenttype": "application/json",
            "tenantid": .string(tenantID), "data": data,
        ]
        if let subject { o["subject"] = .string(subject) }
        return .object(o)
    }

    /// One line of JSON (no newline), as written to JSONL sinks and POSTed.
    public var encoded: [UInt8] { CanonicalJSON.encode(json) }
}

/// Event types Warden emits (versioned: a breaking change to `data` gets a new `.vN`).
public enum CloudEventType: String, Sendable, CaseIterable {
    case executionCompleted = "dev.warden.execution.completed.v1"
    case executionDenied = "dev.warden.execution.denied.v1"
    case executionFailed = "dev.warden.execution.failed.v1"
    case approvalRequested = "dev.warden.approval.requested.v1"
    case approvalGranted = "dev.warden.approval.granted.v1"
    case approvalDenied = "dev.warden.approval.denied.v1"
    case toolAdmitted = "dev.warden.tool.admitted.v1"
    case toolRejected = "dev.warden.tool.rejected.v1"
    case keyRevoked = "dev.warden.key.revoked.v1"
    case ledgerCheckpoint = "dev.warden.ledger.checkpoint.v1"
}

