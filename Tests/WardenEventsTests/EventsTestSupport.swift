import Crypto
import Foundation
import Testing
import WardenCore
import WardenHome
import WardenLedger
@testable import WardenEvents

func tempDir(_ tag: String) -> String {
    let path = NSTemporaryDirectory() + "warden-events-\(tag)-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    chmod(path, 0o700)
    return path
}

/// A ledger in a temporary database with an in-memory key.
func makeLedger(_ dir: String) throws -> (Ledger, SQLiteLedgerStore, LedgerKeyring) {
    let db = try WardenDatabase(path: dir + "/warden.db")
    let store = SQLiteLedgerStore(database: db)
    let key = Curve25519.Signing.PrivateKey()
    let ledger = try Ledger(store: store, signer: Ed25519RecordSigner(privateKey: key), node: "node-1")
    return (ledger, store, LedgerKeyring(publicKeys: [key.publicKey]))
}

/// Collects delivery failures reported by sinks.
final class FailureLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [DeliveryFailure] = []

    var handler: DeliveryFailureHandler { { [self] f in lock.lock(); items.append(f); lock.unlock() } }
    var all: [DeliveryFailure] { lock.lock(); defer { lock.unlock() }; return items }
}

/// A loopback HTTP server (python3, started by the test and stopped by `stop`). Modes:
/// `ok` (200), `fail-first:N` (500 for the first N requests, then 200), `always:CODE`,
/// `blackhole` (accepts, reads, never answers). Each request is logged as one JSON line
/// {"n", "content_type", "body"} in `log`.
final class LoopbackServer: @unchecked Sendable {
    let process = Process()
    let port: Int
    let log: String

    static let script = #"""
    import http.server, json, socketserver, sys, threading, time
    mode, log_path = sys.argv[1], sys.argv[2]
    lock = threading.Lock()
    count = [0]
    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                count[0] += 1
                n = count[0]
                with open(log_path, "a") as f:
                    f.write(json.dumps({"n": n, "content_type": self.headers.get("Content-Type"), "body": body.decode()}) + "\n")
            if mode == "blackhole":
                time.sleep(3600)
            code = 200
            if mode.startswith("fail-first:") and n <= int(mode.split(":")[1]): code = 500
            if mode.startswith("always:"): code = int(mode.split(":")[1])
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()
        def log_message(self, *a): pass
    class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
    s = S(("127.0.0.1", 0), H)
    print(s.server_address[1], flush=True)
    s.serve_forever()
    """#

    init(mode: String) throws {
        let dir = tempDir("http")
        log = dir + "/requests.jsonl"
        FileManager.default.createFile(atPath: log, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script, mode, log]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var line = [UInt8]()
        while true {
            let d = out.fileHandleForReading.readData(ofLength: 1)
            if d.isEmpty || d.first == 0x0A { break }
            line += d
        }
        port = Int(String(decoding: line, as: UTF8.self)) ?? 0
    }

    var url: String { "http://127.0.0.1:\(port)/events" }

    /// Logged requests.
    func requests() throws -> [JSONValue] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { try StrictJSONParser.parse(String($0), limits: .init(maxDepth: 8, maxBytes: 1 << 22)) }
    }

    /// SIGKILL: children spawned from a dispatch thread can inherit a mask blocking SIGTERM.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// Polls `condition` every 20 ms for up to `seconds` (waiting for a background thread).
func eventually(_ seconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let end = Date(timeIntervalSinceNow: seconds)
    while Date() < end {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}

func sampleOutcome(seq: Int64, decision: String = "allow", exit: Int32? = 0) -> ExecutionOutcome {
    ExecutionOutcome(executionID: "exec-\(seq)", tenant: "acme", tool: "hello", version: "1.0.0",
                     digest: "sha256:" + String(repeating: "ab", count: 32), manifestJWS: "eyJhbGciOiJFZERTQSJ9.e30.c2ln",
                     decision: decision, reasons: decision == "allow" ? [] : ["command curl not in allowlist (rule 3)"],
                     exitCode: exit, durationMillis: 42, stdout: Array("hello\n".utf8), auditSeq: seq,
                     checkpoint: "warden/node-1/ledger\n1\nAAAA\n\n— warden/node-1/ledger AAAA\n")
}
