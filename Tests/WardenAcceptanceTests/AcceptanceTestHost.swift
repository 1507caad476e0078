import Foundation
import Synchronization
import WardenTestSupport

/// The egress acceptance suites' test host: a network namespace of the test's own joined by a
/// veth pair (198.18.K.0/24 and 2001:db8:K::/64, nothing else), running the sandbox suite's
/// `Net/testhost.py`: TCP 8080/8081 (and 8080 on the second address), TLS 8443 with a
/// certificate for alpha/beta/delta.test, UDP echo 9999/9998, and a DNS server on :53 answering
/// the test names (rebind.test answers 127.0.0.1 and the host; meta.test 169.254.169.254).
/// Removed by `tearDown()`.
final class AcceptanceTestHost {
    /// Suites run in parallel: each host of this process gets its own subnet.
    private static let nextSubnet = Mutex(Int.random(in: 10...200))
    let subnet = AcceptanceTestHost.nextSubnet.withLock { n in defer { n = n >= 250 ? 10 : n + 1 }; return n }
    let ns: String
    let veth: String
    let dir: String
    var addr: String { "198.18.\(subnet).2" }
    var addrB: String { "198.18.\(subnet).3" }
    var addr6: String { "2001:db8:\(subnet)::2" }
    private var server: Process?

    struct SetupError: Error { let text: String }

    init() throws {
        ns = "wa-\(subnet)-\(Int.random(in: 1000...9999))"
        veth = "wah\(subnet)\(Int.random(in: 100...999))"
        dir = NSTemporaryDirectory() + "warden-acc-net-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let steps: [[String]] = [
            ["netns", "add", ns], ["link", "add", veth, "type", "veth", "peer", "name", veth + "p"],
            ["link", "set", veth + "p", "netns", ns], ["addr", "add", "198.18.\(subnet).1/24", "dev", veth],
            ["-6", "addr", "add", "2001:db8:\(subnet)::1/64", "dev", veth, "nodad"], ["link", "set", veth, "up"],
            ["-n", ns, "addr", "add", "\(addr)/24", "dev", veth + "p"], ["-n", ns, "addr", "add", "\(addrB)/24", "dev", veth + "p"],
            ["-n", ns, "-6", "addr", "add", "\(addr6)/64", "dev", veth + "p", "nodad"],
            ["-n", ns, "link", "set", veth + "p", "up"], ["-n", ns, "link", "set", "lo", "up"],
        ]
        for step in steps {
            let r = try WardenProcess.exec("/usr/sbin/ip", step, cwd: "/", environment: [:])
            guard r.status == 0 else { tearDown(); throw SetupError(text: "ip \(step.joined(separator: " ")): \(r.transcript)") }
        }
        let cert = try WardenProcess.exec("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/key.pem", "-out", dir + "/cert.pem", "-days", "1",
            "-subj", "/CN=alpha.test", "-addext", "subjectAltName=DNS:alpha.test,DNS:beta.test,DNS:delta.test",
        ], cwd: "/", environment: [:])
        guard cert.status == 0 else { tearDown(); throw SetupError(text: "openssl: \(cert.transcript)") }
        let script = TestProcess.packageRoot.appendingPathComponent("Tests/WardenSandboxTests/Net/testhost.py").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        p.arguments = ["netns", "exec", ns, "python3", script, addr, addrB, addr6, dir + "/cert.pem", dir + "/key.pem", dir + "/ready"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        server = p
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: dir + "/ready") { usleep(25_000) }
        guard FileManager.default.fileExists(atPath: dir + "/ready") else { tearDown(); throw SetupError(text: "the test host never became ready") }
    }

    func tearDown() {
        // SIGKILL: the server may have SIGTERM blocked in the mask it inherited.
        if let p = server, p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        let pids = (try? WardenProcess.exec("/usr/sbin/ip", ["netns", "pids", ns], cwd: "/", environment: [:]))?.stdout ?? ""
        for pid in pids.split(separator: "\n") { if let n = Int32(pid) { kill(n, SIGKILL) } }
        _ = try? WardenProcess.exec("/usr/sbin/ip", ["netns", "del", ns], cwd: "/", environment: [:])
        _ = try? WardenProcess.exec("/usr/sbin/ip", ["link", "del", veth], cwd: "/", environment: [:])
        try? FileManager.default.removeItem(atPath: dir)
    }
}
