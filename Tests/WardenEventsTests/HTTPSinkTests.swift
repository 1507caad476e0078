import Foundation
import Testing
import WardenCore
import WardenHome
import WardenLedger
@testable import WardenEvents

@Suite(.serialized) struct HTTPSinkTests {
    func event(_ n: Int64) -> CloudEvent { .execution(sampleOutcome(seq: n), node: "node-1", timeMillis: 1_700_000_000_000) }

    @Test func deliversStructuredModeEvents() throws {
        let server = try LoopbackServer(mode: "ok")
        defer { server.stop() }
        let failures = FailureLog()
        let sink = HTTPSink(endpoint: try HTTPEndpoint(parsing: server.url), onFailure: failures.handler)
        let events = (0..<5).map(event)
        for e in events { sink.submit(e) }
        #expect(try eventually { try server.requests().count == 5 })
        sink.close(timeoutSeconds: 2)
        let reqs = try server.requests()
        #expect(reqs.allSatisfy { $0["content_type"]?.stringValue?.hasPrefix("application/cloudevents+json") == true })
        let bodies = try reqs.map { try StrictJSONParser.parse($0["body"]?.stringValue ?? "", limits: .init(maxDepth: 16, maxBytes: 1 << 20)) }
        #expect(bodies == events.map(\.json))
        #expect(failures.all.isEmpty)
    }

    @Test func retriesAfterServerErrors() throws {
        let server = try LoopbackServer(mode: "fail-first:2")
        defer { server.stop() }
        let failures = FailureLog()
        let sink = HTTPSink(endpoint: try HTTPEndpoint(parsing: server.url),
                            settings: .init(maxAttempts: 4, backoffMillis: 10, timeoutMillis: 2000), onFailure: failures.handler)
        let e = event(1)
        sink.submit(e)
        #expect(try eventually { try server.requests().count == 3 })
        sink.close(timeoutSeconds: 2)
        let reqs = try server.requests()
        #expect(reqs.count == 3)
        // The same event each time (same id), delivered on the third attempt.
        #expect(Set(reqs.compactMap { try? StrictJSONParser.parse($0["body"]?.stringValue ?? "")["id"] }) == [.string(e.id)])
        #expect(failures.all.isEmpty)
    }

    @Test func persistentFailureIsRecordedInTheLedger() async throws {
        let server = try LoopbackServer(mode: "always:503")
        defer { server.stop() }
        let dir = tempDir("fail")
        let (ledger, store, keyring) = try makeLedger(dir)
        let recorder = LedgerFailureRecorder(ledger: ledger)
        let sink = HTTPSink(endpoint: try HTTPEndpoint(parsing: server.url),
                            settings: .init(maxAttempts: 3, backoffMillis: 10, timeoutMillis: 2000), onFailure: recorder.handler)
        let e = event(7)
        sink.submit(e)
        #expect(try eventually { try server.requests().count == 3 })
        sink.close(timeoutSeconds: 2)
        recorder.flush()
        ledger.close()
        let records = try store.records(from: 0, limit: 10).map { try LedgerRecord.parse($0.bytes) }
        #expect(records.count == 1)
        #expect(records.first?.event == "sink.delivery_failed")
        #expect(records.first?.details["event_id"] == .string(e.id))
        #expect(records.first?.details["attempts"] == 3)
        #expect(records.first?.details["error"] == "HTTP 503")
        #expect(try LedgerVerifier.verify(store: store, keyring: keyring, origin: nil).ok)
        // A 4xx other than 408/429 is not retried.
        let client = try LoopbackServer(mode: "always:400")
        defer { client.stop() }
        let failures = FailureLog()
        let sink2 = HTTPSink(endpoint: try HTTPEndpoint(parsing: client.url), settings: .init(maxAttempts: 5, backoffMillis: 10),
                             onFailure: failures.handler)
        sink2.submit(e)
        #expect(eventually { failures.all.count == 1 })
        sink2.close(timeoutSeconds: 1)
        #expect(failures.all.first?.attempts == 1)
        #expect(try client.requests().count == 1)
    }

    @Test func connectionRefusedIsReportedAfterRetries() throws {
        // Bind and close a socket to get a port nobody listens on.
        let server = try LoopbackServer(mode: "ok")
        let url = server.url
        server.stop()
        let failures = FailureLog()
        let sink = HTTPSink(endpoint: try HTTPEndpoint(parsing: url), settings: .init(maxAttempts: 2, backoffMillis: 10), onFailure: failures.handler)
        sink.submit(event(1))
        #expect(eventually { failures.all.count == 1 })
        sink.close(timeoutSeconds: 1)
        #expect(failures.all.first?.attempts == 2)
        #expect(failures.all.first?.reason.contains("refused") == true, "\(String(describing: failures.all.first))")
    }

    /// A server that accepts and never answers: appends and emits all complete while the
    /// first request is still hanging; overflow is dropped and recorded, not waited for.
    @Test func deadEndpointNeverStallsAppends() async throws {
        let server = try LoopbackServer(mode: "blackhole")
        defer { server.stop() }
        let dir = tempDir("blackhole")
        let (ledger, store, keyring) = try makeLedger(dir)
        let recorder = LedgerFailureRecorder(ledger: ledger)
        let sink = HTTPSink(endpoint: try HTTPEndpoint(parsing: server.url),
                            settings: .init(maxAttempts: 3, backoffMillis: 10, timeoutMillis: 120_000, queueCapacity: 4),
                            onFailure: recorder.handler)
        let emitter = EventEmitter(sinks: [sink])
        // Let the worker pick up the first event and hang on it.
        emitter.emit(event(0))
        #expect(try eventually { try server.requests().count == 1 })
        for i in 1...50 {
            let r = try await ledger.append(event: .executionFinished, tenant: "acme", actor: "a", subject: "hello@1.0.0",
                                            decision: "allow", details: ["n": .int(Int64(i))])
            emitter.emit(event(r.seq))
        }
        // Everything above returned although the endpoint has not answered a single request.
        #expect(try server.requests().count == 1)
        #expect(sink.queued == 4)
        recorder.flush()
        let failed = try store.records(from: 0, limit: 1000).map { try LedgerRecord.parse($0.bytes) }.filter { $0.event == "sink.delivery_failed" }
        #expect(failed.count == 46)
        #expect(failed.allSatisfy { $0.details["error"]?.stringValue?.hasPrefix("queue full") == true })
        // Closing does not wait for the hanging request: the 4 queued events are reported.
        emitter.close(timeoutSeconds: 0.2)
        recorder.flush()
        let after = try store.records(from: 0, limit: 1000).map { try LedgerRecord.parse($0.bytes) }.filter { $0.event == "sink.delivery_failed" }
        #expect(after.count == 50)
        ledger.close()
        #expect(try LedgerVerifier.verify(store: store, keyring: keyring, origin: nil).ok)
    }

    @Test(arguments: [
        "https://example.com/x", "ftp://x", "http://", "http://user@host/", "http://host:0/", "http://host:99999/",
        "http://ho st/", "http://host/a b", "http://[::1]/", "http://host/#frag",
    ])
    func malformedEndpointsAreRejected(_ url: String) {
        #expect(throws: WardenError.self) { try HTTPEndpoint(parsing: url) }
    }

    @Test func endpointParsingAndStatusLine() throws {
        let e = try HTTPEndpoint(parsing: "http://127.0.0.1:8080/ingest?x=1")
        #expect(e.host == "127.0.0.1" && e.port == 8080 && e.path == "/ingest?x=1")
        #expect(try HTTPEndpoint(parsing: "http://siem.internal").path == "/")
        #expect(HTTPEndpoint.statusCode(Array("HTTP/1.1 204 No Content\r\n".utf8)) == 204)
        #expect(HTTPEndpoint.statusCode(Array("HTTP/1.0 500 x".utf8)) == 500)
        #expect(HTTPEndpoint.statusCode(Array("HTTP/2 200 OK\r\n\r\n".utf8)) == nil)
        #expect(HTTPEndpoint.statusCode(Array("HTTP/1.1 2x0 OK\r\n".utf8)) == nil)
        #expect(HTTPEndpoint.statusCode(Array("HTTP/1.1".utf8)) == nil)
    }
}

@Suite struct EventsConfigTests {
    func parse(_ text: String) throws(WardenError) -> EventsConfig {
        guard case .object(let root) = try StrictJSONParser.parse(text) else { throw .usage("t", "not an object") }
        return try EventsConfig(config: HomeConfig(path: "/h/config.json", root: root), homeRoot: "/h")
    }

    @Test func parsesEverySinkKind() throws {
        let c = try parse(#"{"events": {"sinks": [{"type": "stdout"}, {"type": "file", "path": "ev/e.jsonl", "rotate_bytes": 2048, "keep": 3},"#
            + #"{"type": "http", "url": "http://127.0.0.1:9/e", "max_attempts": 2, "queue_capacity": 10}]}, "policy": {"x": 1}}"#)
        #expect(c.sinks.count == 3)
        #expect(c.sinks[1] == .file(path: "/h/ev/e.jsonl", rotateBytes: 2048, keep: 3))
        if case .http(let e, let s) = c.sinks[2] {
            #expect(e.port == 9 && s.maxAttempts == 2 && s.queueCapacity == 10 && s.timeoutMillis == 2000)
        } else {
            Issue.record("expected an http sink")
        }
        #expect(try parse("{}").sinks.isEmpty)
    }

    @Test(arguments: [
        (#"{"events": {"sinks": [{"type": "kafka"}]}}"#, "events.sinks[0].type"),
        (#"{"events": {"sinks": [{"type": "http", "url": "https://x/"}]}}"#, "https"),
        (#"{"events": {"sinks": [{"type": "file"}]}}"#, "events.sinks[0].path"),
        (#"{"events": {"sinks": [{"type": "stdout", "color": true}]}}"#, "events.sinks[0].color"),
        (#"{"events": {"sinks": [{"type": "http", "url": "http://x/", "max_attempts": 0}]}}"#, "max_attempts"),
        (#"{"events": {"sink": []}}"#, "events.sink"),
        (#"{"events": []}"#, "events must be an object"),
    ])
    func badConfigNamesTheSetting(_ text: String, _ mention: String) {
        do {
            _ = try parse(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.message.contains(mention), "\(error.message)")
            #expect(error.code == "config.invalid" || error.code == "events.bad_url")
        }
    }
}
