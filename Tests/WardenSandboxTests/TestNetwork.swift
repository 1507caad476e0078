import Foundation
import WardenTestSupport

/// A test host built for one suite: a network namespace joined to the host by a veth pair,
/// with addresses from the benchmarking range 198.18.0.0/15 and the documentation prefix
/// 2001:db8::/32 (reachable only through that pair), running Net/testhost.py (TCP, TLS, UDP,
/// DNS). Removed by `tearDown`; nothing else on any network is touched.
final class TestNetwork: @unchecked Sendable {
    let name: String
    let hostSide: String
    let subnet: Int
    var host: String { "198.18.\(subnet).1" }
    var addr: String { "198.18.\(subnet).2" }
    var addrB: String { "198.18.\(subnet).3" }
    var addr6: String { "2001:db8:\(subnet)::2" }
    let dir: String
    private var server: Process?

    struct SetupError: Error, CustomStringConvertible { let description: String }

    init() throws {
        subnet = Int.random(in: 10...250)
        name = "wt-\(subnet)-\(Int.random(in: 1000...9999))"
        hostSide = "wth\(subnet)\(Int.random(in: 100...999))"
        dir = try Harness.tempDir("net")
        for file in ["testhost.py", "client.py"] {
            try FileManager.default.copyItem(atPath: Harness.repoRoot + "/Tests/WardenSandboxTests/Net/" + file, toPath: dir + "/" + file)
        }
        chmod(dir, 0o755)
        let peer = hostSide + "p"
        let steps: [[String]] = [
            ["netns", "add", name],
            ["link", "add", hostSide, "type", "veth", "peer", "name", peer],
            ["link", "set", peer, "netns", name],
            ["addr", "add", "\(host)/24", "dev", hostSide],
            ["-6", "addr", "add", "2001:db8:\(subnet)::1/64", "dev", hostSide, "nodad"],
            ["link", "set", hostSide, "up"],
            ["-n", name, "addr", "add", "\(addr)/24", "dev", peer],
            ["-n", name, "addr", "add", "\(addrB)/24", "dev", peer],
            ["-n", name, "-6", "addr", "add", "\(addr6)/64", "dev", peer, "nodad"],
            ["-n", name, "link", "set", peer, "up"],
            ["-n", name, "link", "set", "lo", "up"],
        ]
        for step in steps {
            let r = Harness.raw("/usr/sbin/ip", step, timeout: 10)
            guard r.status == 0 else {
                tearDown()
                throw SetupError(description: "ip \(step.joined(separator: " ")): \(r.stderr)")
            }
        }
        let cert = Harness.raw("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/key.pem",
                                                    "-out", dir + "/cert.pem", "-days", "1", "-subj", "/CN=alpha.test",
                                                    "-addext", "subjectAltName=DNS:alpha.test,DNS:beta.test,DNS:delta.test"], timeout: 30)
        guard cert.status == 0 else { tearDown(); throw SetupError(description: "openssl: \(cert.stderr)") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        p.arguments = ["netns", "exec", name, "python3", dir + "/testhost.py", addr, addrB, addr6,
                       dir + "/cert.pem", dir + "/key.pem", dir + "/ready"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        server = p
        let deadline = Date().addingTimeInterval(15)
        while !FileManager.default.fileExists(atPath: dir + "/ready") && Date() < deadline { usleep(20_000) }
        guard FileManager.default.fileExists(atPath: dir + "/ready") else { tearDown(); throw SetupError(description: "test host did not start") }
        // IPv6 addresses need a moment even with nodad before the route is usable.
        usleep(200_000)
    }

    /// Runs the sandbox client: `warden exec --egress … -- python3 client.py ATTEMPTS…`.
    func client(_ mode: Harness.Mode, egress: [String], extra: [String] = [], _ attempts: [String]) throws -> Harness.Result {
        // The client's Python needs its extension modules (_socket, _ssl, select).
        var flags = ["--ro", dir + ":/opt/net", "--json"] + (CodeLoadingTests.pythonDynload().map { ["--allow-load", $0] } ?? [])
        for rule in egress { flags += ["--egress", rule] }
        if !egress.isEmpty { flags += ["--resolver", addr] }
        return try Harness.exec(mode, flags: flags + extra, ["/usr/bin/python3", "/opt/net/client.py"] + attempts, timeout: 60)
    }

    func tearDown() {
        // SIGKILL, not terminate(): the server inherits the spawning thread's signal mask,
        // where SIGTERM may be blocked, and would then outlive the test.
        if let p = server, p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        // Processes still inside the namespace (the server's python) die with a SIGKILL by pid.
        let pids = Harness.raw("/usr/sbin/ip", ["netns", "pids", name], timeout: 10).stdout.split(separator: "\n")
        for pid in pids { if let n = Int32(pid) { kill(n, SIGKILL) } }
        _ = Harness.raw("/usr/sbin/ip", ["netns", "del", name], timeout: 10)
        _ = Harness.raw("/usr/sbin/ip", ["link", "del", hostSide], timeout: 10)
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// True when no namespace or veth of this test network is left.
    var isGone: Bool {
        !Harness.raw("/usr/sbin/ip", ["netns", "list"], timeout: 10).stdout.contains(name)
            && !Harness.raw("/usr/sbin/ip", ["link", "show"], timeout: 10).stdout.contains(hostSide)
    }
}
