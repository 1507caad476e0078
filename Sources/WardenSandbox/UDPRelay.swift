#if canImport(Glibc)
import Glibc
#endif
import CWardenSys
import WardenCore
import WardenNet

/// The run's UDP egress for `/udp` rules (docs/NETWORK.md). nftables hands every datagram a
/// rule may allow to this relay's transparent sockets inside the run's namespace; the relay
/// decides each flow (client port → destination) once, forwards allowed datagrams from the
/// host's namespace on a socket of its own, and writes the replies back into the namespace as
/// if they came from the destination. Flows are capped in number and expire when idle; each is
/// one connection entry in the run's network report.
final class UDPRelay: @unchecked Sendable {
    let session: EgressSession
    private let relays: [(fd: Int32, family: Int)]
    private let raws: [Int: Int32]
    private let wake: (read: Int32, write: Int32)
    private var thread: NativeThread?

    static let maxFlows = 64
    static let idleNanos: UInt64 = 30_000_000_000
    static let maxDatagram = 65_000

    private struct Key: Hashable {
        var client: [UInt8], clientPort: UInt16, dst: [UInt8], dstPort: UInt16
    }
    private struct Flow {
        var upstream: Int32
        var entry: NetworkReport.Connection
        var started: UInt64
        var lastActive: UInt64
    }
    private var flows: [Key: Flow] = [:]
    /// Flows refused already: recorded once, later datagrams dropped quietly.
    private var refused: Set<Key> = []

    init(session: EgressSession, relay4: Int32, relay6: Int32, raw4: Int32, raw6: Int32) throws(WardenError) {
        self.session = session
        relays = [(relay4, 4), (relay6, 16)]
        raws = [4: raw4, 16: raw6]
        var p: [Int32] = [0, 0]
        guard wnet_pipe(&p) == 0 else {
            throw .denied("sandbox.egress_failed", "cannot create the UDP relay's wake pipe: \(errnoText())")
        }
        wake = (p[0], p[1])
    }

    func start() throws(WardenError) {
        guard let t = NativeThread.start({ [self] in loop() }) else {
            throw .denied("sandbox.egress_failed", "cannot start the UDP relay thread")
        }
        thread = t
    }

    /// Stops the thread, records the flows still open and closes every descriptor.
    func stop() {
        _ = write(wake.write, "x", 1)
        thread?.join()
        for key in Array(flows.keys) { finish(key) }
        for fd in relays.map(\.fd) + Array(raws.values) + [wake.read, wake.write] { close(fd) }
    }

    private func loop() {
        var buffer = [UInt8](repeating: 0, count: Self.maxDatagram + 1)
        while true {
            var keys: [Key] = []
            var fds = relays.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            fds.append(pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0))
            for (key, flow) in flows {
                keys.append(key)
                fds.append(pollfd(fd: flow.upstream, events: Int16(POLLIN), revents: 0))
            }
            let n = poll(&fds, nfds_t(fds.count), 1000)
            if n < 0 && errno == EINTR { continue }
            if n < 0 || fds[relays.count].revents != 0 { return }
            for (i, relay) in relays.enumerated() where fds[i].revents != 0 {
                fromClients(relay.fd, family: relay.family, &buffer)
            }
            for (i, key) in keys.enumerated() where fds[relays.count + 1 + i].revents != 0 {
                fromUpstream(key, &buffer)
            }
            let now = monotonicNanos()
            for (key, flow) in flows where now - flow.lastActive > Self.idleNanos { finish(key) }
        }
    }

    /// Drains the relay socket: each datagram joins its flow, or opens one if the grant allows.
    private func fromClients(_ fd: Int32, family: Int, _ buffer: inout [UInt8]) {
        for _ in 0..<256 {
            var src = [UInt8](repeating: 0, count: 16), dst = [UInt8](repeating: 0, count: 16)
            var sport: UInt16 = 0, dport: UInt16 = 0
            let got = buffer.withUnsafeMutableBytes {
                wnet_udp_recv(fd, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt($0.count), &src, &sport, &dst, &dport)
            }
            if got == -Int(EAGAIN) || got == -Int(EWOULDBLOCK) { return }
            guard got >= 0, got <= Self.maxDatagram else { continue }   // truncated or odd: dropped
            let key = Key(client: Array(src.prefix(family)), clientPort: sport, dst: Array(dst.prefix(family)), dstPort: dport)
            if flows[key] == nil, !open(key) { continue }
            guard var flow = flows[key] else { continue }
            let sent = buffer.withUnsafeBytes { send(flow.upstream, $0.baseAddress, got, Int32(MSG_DONTWAIT)) }
            if sent > 0 { flow.entry.bytesOut += Int64(sent) }
            flow.lastActive = monotonicNanos()
            flows[key] = flow
        }
    }

    /// Decides a new flow; true when it may carry datagrams (its upstream socket is open).
    private func open(_ key: Key) -> Bool {
        if refused.contains(key) { return false }
        let grant = session.grant
        let names = session.names(pointingAt: key.dst)
        var verdict = EgressVerdict.decideDatagram(grant: grant, address: key.dst, port: key.dstPort,
                                                   pinnedNames: names, hostAddresses: session.hostAddresses)
        var entry = NetworkReport.Connection(dst: IPAddressText.format(key.dst), port: key.dstPort, proto: "udp",
                                             name: verdict.name ?? names.sorted().first, sni: nil,
                                             verdict: verdict.allowed ? "allowed" : "denied",
                                             reason: verdict.reason, bytesOut: 0, bytesIn: 0, millis: 0)
        if !verdict.allowed && grant.auditOnly {
            entry.verdict = "audit"
            verdict.allowed = true
        }
        guard verdict.allowed, flows.count < Self.maxFlows, !session.stopping else {
            if verdict.allowed { entry.verdict = "denied"; entry.reason = "too many UDP flows (\(Self.maxFlows)) open at once" }
            if refused.count < 4096 { refused.insert(key) }
            session.record(entry)
            return false
        }
        let upstream = Self.dial(key.dst, key.dstPort)
        guard upstream >= 0 else {
            entry.verdict = "failed"
            entry.reason = "cannot reach \(IPAddressText.format(key.dst)):\(key.dstPort)/udp: \(String(cString: strerror(-upstream)))"
            if refused.count < 4096 { refused.insert(key) }
            session.record(entry)
            return false
        }
        let now = monotonicNanos()
        flows[key] = Flow(upstream: upstream, entry: entry, started: now, lastActive: now)
        return true
    }

    /// Replies from the destination, written into the namespace as coming from it.
    private func fromUpstream(_ key: Key, _ buffer: inout [UInt8]) {
        guard var flow = flows[key], let raw = raws[key.dst.count] else { return }
        for _ in 0..<256 {
            let got = buffer.withUnsafeMutableBytes { recv(flow.upstream, $0.baseAddress, Self.maxDatagram, Int32(MSG_DONTWAIT)) }
            if got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { break }
            if got < 0 { continue }   // ICMP errors from the destination: the client's timeout handles them
            let rc = buffer.withUnsafeBytes {
                wnet_udp_reply(raw, key.dst.count == 4 ? 4 : 6, key.dst, key.dstPort, key.client, key.clientPort,
                               $0.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt(got))
            }
            if rc == 0 { flow.entry.bytesIn += Int64(got) }
        }
        flow.lastActive = monotonicNanos()
        flows[key] = flow
    }

    private func finish(_ key: Key) {
        guard var flow = flows.removeValue(forKey: key) else { return }
        close(flow.upstream)
        flow.entry.millis = Int64((flow.lastActive - flow.started) / 1_000_000)
        session.record(flow.entry)
    }

    /// A connected, non-blocking UDP socket to the destination in the host's namespace; -errno.
    static func dial(_ address: [UInt8], _ port: UInt16) -> Int32 {
        let (fd, rc, error) = HostSocket.connecting(address, port, type: Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue))
        guard fd >= 0 else { return fd }
        if rc != 0 {
            close(fd)
            return -error
        }
        return fd
    }
}
