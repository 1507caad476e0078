import Testing
import WardenCore
@testable import WardenEvents

@Suite struct CloudEventTests {
    @Test func rfc3339FormatsUTCWithMilliseconds() {
        #expect(RFC3339.format(millis: 0) == "1970-01-01T00:00:00.000Z")
        #expect(RFC3339.format(millis: 1_795_336_000_123) == "2026-11-22T08:26:40.123Z")
        #expect(RFC3339.format(millis: -1) == "1969-12-31T23:59:59.999Z")
    }

    @Test func structuredModeHasRequiredAttributesAndTenantExtension() throws {
        let e = CloudEvent(id: "id-1", node: "node-1", type: .executionCompleted, subject: "hello@1.0.0", timeMillis: 0,
                           tenantID: "acme", data: ["exitCode": 0])
        let parsed = try StrictJSONParser.parse(e.encoded)
        #expect(parsed["specversion"] == "1.0")
        #expect(parsed["source"] == "warden://node-1")
        #expect(parsed["type"] == "dev.warden.execution.completed.v1")
        #expect(parsed["tenantid"] == "acme")
        #expect(parsed["datacontenttype"] == "application/json")
        #expect(parsed["time"] == "1970-01-01T00:00:00.000Z")
        #expect(parsed["data"]?["exitCode"] == 0)
        let noSubject = CloudEvent(id: "x", node: "n", type: .ledgerCheckpoint, subject: nil, timeMillis: 0, tenantID: "", data: [:])
        #expect(noSubject.json["subject"] == nil)
    }
}
