import Foundation
import Testing
import WardenTestSupport
import WardenCore
import WardenHome
import WardenLedger
@testable import WardenEvents

@Suite struct SinkTests {
    @Test func fileSinkAppendsAndRotatesWithoutLosingLines() throws {
        let dir = tempDir("file")
        let failures = FailureLog()
        let sink = try FileSink(path: dir + "/events.jsonl", rotateBytes: 4096, keep: 50, onFailure: failures.handler)
        let events = (0..<60).map { CloudEvent.execution(sampleOutcome(seq: Int64($0)), node: "node-1", timeMillis: 1_700_000_000_000 + Int64($0)) }
        for e in events { sink.submit(e) }
        sink.close(timeoutSeconds: 1)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("events.jsonl") }
        #expect(files.count > 2, "expected rotation, got \(files)")
        // Oldest file has the highest suffix; read them back in order.
        let ordered = files.sorted { (Int($0.split(separator: ".").last ?? "") ?? 0) > (Int($1.split(separator: ".").last ?? "") ?? 0) }
            .filter { $0 != "events.jsonl" } + ["events.jsonl"]
        var ids: [String] = []
        for f in ordered {
            let text = try String(contentsOfFile: dir + "/" + f, encoding: .utf8)
            #expect(text.utf8.count <= 4096)
            for line in text.split(separator: "\n") { ids.append(try StrictJSONParser.parse(String(line))["id"]?.stringValue ?? "") }
        }
        #expect(ids == events.map(\.id))
        #expect(failures.all.isEmpty)
        // Reopening appends.
        let again = try FileSink(path: dir + "/events.jsonl", rotateBytes: 1 << 20, keep: 2, onFailure: failures.handler)
        again.submit(events[0])
        again.close(timeoutSeconds: 1)
    }

    @Test func stdoutSinkWritesOneLinePerEvent() throws {
        let pipe = Pipe()
        let sink = StdoutSink(fd: pipe.fileHandleForWriting.fileDescriptor, onFailure: FailureLog().handler)
        let e = CloudEvent.execution(sampleOutcome(seq: 1), node: "n", timeMillis: 0)
        sink.submit(e)
        sink.submit(e)
        try pipe.fileHandleForWriting.close()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text == CanonicalJSON.string(e.json) + "\n" + CanonicalJSON.string(e.json) + "\n")
    }

    @Test func unwritableFileSinkFailsClearly() {
        #expect(throws: WardenError.self) { try FileSink(path: "/proc/warden-nope/x.jsonl", onFailure: FailureLog().handler) }
    }

    @Test func outputIsCappedAtACharacterBoundary() {
        var o = sampleOutcome(seq: 1)
        o.stdout = Array(String(repeating: "é", count: 3000).utf8)
        let e = CloudEvent.execution(o, node: "n", timeMillis: 0, outputCap: 101)
        #expect(e.data["stdout"]?.stringValue?.utf8.count == 100)
        #expect(e.data["truncated"] == true)
        #expect(CloudEvent.execution(sampleOutcome(seq: 1), node: "n", timeMillis: 0).data["truncated"] == false)
    }

    @Test func eventTypesFollowTheOutcome() {
        #expect(CloudEvent.execution(sampleOutcome(seq: 1), node: "n", timeMillis: 0).type == "dev.warden.execution.completed.v1")
        #expect(CloudEvent.execution(sampleOutcome(seq: 1, exit: 3), node: "n", timeMillis: 0).type == "dev.warden.execution.failed.v1")
        #expect(CloudEvent.execution(sampleOutcome(seq: 1, decision: "deny", exit: nil), node: "n", timeMillis: 0).type == "dev.warden.execution.denied.v1")
        #expect(CloudEvent.execution(sampleOutcome(seq: 1, decision: "approval_required", exit: nil), node: "n", timeMillis: 0).type
            == "dev.warden.approval.requested.v1")
    }
}

@Suite struct SchemaValidationTests {
    static let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/cloudevents-1.0.schema.json").path

    /// Validates each line of `file` with python3 jsonschema (Draft 7, formats checked);
    /// returns the validator's exit status and output.
    func validate(_ file: String) throws -> (Int32, String) {
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            v = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
            bad = 0
            for i, line in enumerate(open(sys.argv[2])):
                for e in v.iter_errors(json.loads(line)):
                    bad += 1
                    print(f"line {i}: {e.message}")
            sys.exit(1 if bad else 0)
            """
        let r = try TestProcess.run("/usr/bin/env", ["python3", "-c", script, Self.schema, file])
        return (r.status, r.stdout)
    }

    @Test func emittedEventsValidateAgainstTheCloudEventsSchema() throws {
        let dir = tempDir("schema")
        let sink = try FileSink(path: dir + "/e.jsonl", onFailure: FailureLog().handler)
        let emitter = EventEmitter(sinks: [sink])
        for o in [sampleOutcome(seq: 1), sampleOutcome(seq: 2, exit: 137), sampleOutcome(seq: 3, decision: "deny", exit: nil),
                  sampleOutcome(seq: 4, decision: "approval_required", exit: nil)] {
            emitter.emit(.execution(o, node: "node-1", timeMillis: Ledger.nowMillis()))
        }
        emitter.emit(CloudEvent(node: "node-1", type: .ledgerCheckpoint, subject: nil, timeMillis: 0, tenantID: "", data: ["size": 3]))
        emitter.close()
        let (status, output) = try validate(dir + "/e.jsonl")
        #expect(status == 0, "\(output)")

        // The validator is not a rubber stamp: broken events are rejected.
        let good = CloudEvent.execution(sampleOutcome(seq: 1), node: "node-1", timeMillis: 0).json
        var broken: [String] = []
        for (key, value) in [("specversion", JSONValue.string("0.3")), ("id", .string("")), ("time", .string("yesterday")),
                             ("Tenant-ID", .string("x")), ("data_base64", .string("AA=="))] {
            guard case .object(var m) = good else { continue }
            m[key] = value
            broken.append(CanonicalJSON.string(.object(m)))
        }
        if case .object(var m) = good {
            m.removeValue(forKey: "source")
            broken.append(CanonicalJSON.string(.object(m)))
        }
        for (i, line) in broken.enumerated() {
            let f = dir + "/broken-\(i).jsonl"
            try (line + "\n").write(toFile: f, atomically: true, encoding: .utf8)
            #expect(try validate(f).0 == 1, "broken event \(i) was accepted: \(line)")
        }
    }
}
