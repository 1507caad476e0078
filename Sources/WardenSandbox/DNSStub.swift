#if canImport(Glibc)
import Glibc
#endif
import CWardenSys
import WardenCore
import WardenNet

/// Warden's resolver for the run: answers only names a hostname rule allows (NXDOMAIN for the
/// rest), resolves them through the host's upstreams from the host's namespace, drops answers in
/// refused ranges (rebinding), and pins the first answer for the rest of the run.
final class DNSStub: @unchecked Sendable {
    let session: EgressSession
    private let sockets: [Int32]
    private let wake: (read: Int32, write: Int32)
    private var thread: NativeThread?

    static let upstreamTimeoutMillis: Int32 = 2000
    static let rcodeNoError: UInt8 = 0, rcodeServFail: UInt8 = 2, rcodeNXDomain: UInt8 = 3, rcodeRefused: UInt8 = 5

    init(session: EgressSession, udp4: Int32, udp6: Int32) throws(WardenError) {
        self.session = session
        sockets = [udp4, udp6]
        var p: [Int32] = [0, 0]
        guard wnet_pipe(&p) == 0 else {
            throw .denied("sandbox.egress_failed", "cannot create the DNS stub's wake pipe: \(errnoText())")
        }
        wake = (p[0], p[1])
    }

    func start() throws(WardenError) {
        guard let t = NativeThread.start({ [self] in loop() }) else {
            throw .denied("sandbox.egress_failed", "cannot start the DNS stub thread")
        }
        thread = t
    }

    func stop() {
        _ = write(wake.write, "x", 1)
        thread?.join()
        for fd in sockets + [wake.read, wake.write] { close(fd) }
    }

    private func loop() {
        var fds = sockets.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        fds.append(pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            for i in fds.indices { fds[i].revents = 0 }
            let n = poll(&fds, nfds_t(fds.count), -1)
            if n < 0 && errno == EINTR { continue }
            if n < 0 || fds[fds.count - 1].revents != 0 { return }
            for (i, fd) in sockets.enumerated() where fds[i].revents != 0 {
                var from = sockaddr_storage()
                var fromLen = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let got = buffer.withUnsafeMutableBytes { b in
                    withUnsafeMutablePointer(to: &from) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, b.baseAddress, b.count, Int32(MSG_DONTWAIT), $0, &fromLen) }
                    }
                }
                guard got > 0 else { continue }
                guard let reply = answer(Array(buffer.prefix(got))) else { continue }
                _ = reply.withUnsafeBytes { b in
                    withUnsafePointer(to: &from) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, b.baseAddress, b.count, 0, $0, fromLen) }
                    }
                }
            }
        }
    }

    /// The reply to one query datagram; nil to drop it (not a query at all).
    func answer(_ bytes: [UInt8]) -> [UInt8]? {
        guard let query = try? DNSMessage.parseQuery(bytes) else { return nil }
        let name = query.question.name
        let type = query.question.type
        let grant = session.grant
        let allowed = grant.rule(forName: name, port: nil, proto: .tcp) != nil
            || grant.rule(forName: name, port: nil, proto: .udp) != nil
        guard allowed || grant.auditOnly else {
            session.countDenied()
            return DNSMessage.response(to: query, rcode: Self.rcodeNXDomain, addresses: [], ttl: 0)
        }
        guard type == DNSMessage.typeA || type == DNSMessage.typeAAAA else {
            // Allowed name, other record type (HTTPS, SVCB, TXT…): no data, so clients fall back to A/AAAA.
            return DNSMessage.response(to: query, rcode: Self.rcodeNoError, addresses: [], ttl: 0)
        }
        if let pinned = session.pinned(name: name, type: type) {
            return DNSMessage.response(to: query, rcode: Self.rcodeNoError, addresses: pinned, ttl: 60)
        }
        guard let upstream = resolve(name: name, type: type) else {
            return DNSMessage.response(to: query, rcode: Self.rcodeServFail, addresses: [], ttl: 0)
        }
        if upstream.rcode != Self.rcodeNoError {
            return DNSMessage.response(to: query, rcode: upstream.rcode == Self.rcodeNXDomain ? Self.rcodeNXDomain : Self.rcodeServFail,
                                       addresses: [], ttl: 0)
        }
        let found = DNSMessage.addresses(for: name, type: type, in: upstream).addresses
        let wanted = type == DNSMessage.typeA ? 4 : 16
        let kept = found.filter { $0.count == wanted && grant.answerAllowed($0, hostAddresses: session.hostAddresses) }
        let dropped = found.filter { $0.count == wanted && !kept.contains($0) }
        guard let pinned = session.pin(name: name, type: type, answers: Array(kept.prefix(16)), dropped: dropped) else {
            return DNSMessage.response(to: query, rcode: Self.rcodeServFail, addresses: [], ttl: 0)
        }
        return DNSMessage.response(to: query, rcode: Self.rcodeNoError, addresses: pinned, ttl: 60)
    }

    /// Asks each upstream in turn; the first well-formed answer to this very question wins.
    private func resolve(name: String, type: UInt16) -> DNSResponse? {
        for resolver in session.resolvers {
            let id = wnet_random16()
            let query = DNSMessage.query(id: id, name: name, type: type)
            guard let reply = Self.exchange(query, with: resolver) else { continue }
            guard let response = try? DNSMessage.parseResponse(reply), response.id == id,
                  response.question?.name == name, response.question?.type == type, !response.truncated
            else { continue }
            return response
        }
        return nil
    }

    static func exchange(_ query: [UInt8], with resolver: SandboxSpec.Resolver) -> [UInt8]? {
        let (fd, rc, _) = HostSocket.connecting(resolver.address, resolver.port, type: Int32(SOCK_DGRAM.rawValue))
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard rc == 0, query.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == query.count else { return nil }
        let deadline = monotonicNanos() + UInt64(upstreamTimeoutMillis) * 1_000_000
        var buffer = [UInt8](repeating: 0, count: 4096)
        while monotonicNanos() < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = Int32((deadline - monotonicNanos()) / 1_000_000) + 1
            let n = poll(&p, 1, left)
            if n < 0 && errno == EINTR { continue }
            guard n == 1 else { return nil }
            let got = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if got > 0 { return Array(buffer.prefix(got)) }
            if got < 0 && errno != EINTR && errno != ECONNREFUSED { return nil }
            if got < 0 && errno == ECONNREFUSED { return nil }
        }
        return nil
    }
}
