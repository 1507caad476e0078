#if canImport(Glibc)
import Glibc
#endif
import WardenCore
import CWardenSys
import WardenNet

/// The transparent proxy: accepts the connections nftables redirected out of the run's network
/// namespace, decides each from its original destination (and, for hostname rules, the TLS
/// server name), dials the real destination from the host's namespace and relays bytes with
/// splice(2). Runs on its own threads in the supervisor, outside every namespace of the tool.
final class EgressProxy: @unchecked Sendable {
    let session: EgressSession
    let listeners: [(fd: Int32, family: Int)]
    private let wake: (read: Int32, write: Int32)
    private var acceptThread: NativeThread?

    /// How long the proxy waits for a ClientHello before deciding by address alone (protocols
    /// where the server speaks first send nothing).
    static let helloWaitMillis: Int32 = 1500
    static let dialTimeoutMillis: Int32 = 10_000

    init(session: EgressSession, tcp4: Int32, tcp6: Int32) throws(WardenError) {
        self.session = session
        listeners = [(tcp4, 4), (tcp6, 6)]
        var p: [Int32] = [0, 0]
        guard wnet_pipe(&p) == 0 else {
            throw .denied("sandbox.egress_failed", "cannot create the proxy's wake pipe: \(errnoText())")
        }
        wake = (p[0], p[1])
    }

    func start() throws(WardenError) {
        for l in listeners { _ = fcntl(l.fd, F_SETFL, O_NONBLOCK) }
        guard let t = NativeThread.start({ [self] in acceptLoop() }) else {
            throw .denied("sandbox.egress_failed", "cannot start the egress proxy thread")
        }
        acceptThread = t
    }

    /// Stops accepting, wakes every relay, and waits (bounded) for them to log their connection.
    func stop() {
        _ = write(wake.write, "x", 1)
        acceptThread?.join()
        session.stop()
        let deadline = monotonicNanos() + 2_000_000_000
        while session.activeConnections > 0 && monotonicNanos() < deadline { usleep(2000) }
        for fd in [wake.read, wake.write] + listeners.map(\.fd) { close(fd) }
    }

    private func acceptLoop() {
        var fds = listeners.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        fds.append(pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0))
        while true {
            for i in fds.indices { fds[i].revents = 0 }
            let n = poll(&fds, nfds_t(fds.count), -1)
            if n < 0 && errno == EINTR { continue }
            if n < 0 || fds[fds.count - 1].revents != 0 { return }
            for (i, l) in listeners.enumerated() where fds[i].revents != 0 {
                while true {
                    let client = wnet_accept(l.fd)
                    guard client >= 0 else { break }
                    guard session.admit(client) else {
                        Self.reset(client)
                        close(client)
                        session.countDenied()
                        continue
                    }
                    let family = l.family
                    if let t = NativeThread.start({ [self] in handle(client: client, family: family) }) {
                        t.detach()
                    } else {
                        session.release(client)
                        Self.reset(client)
                        close(client)
                    }
                }
            }
        }
    }

    private func handle(client: Int32, family: Int) {
        let started = monotonicNanos()
        var upstream: Int32 = -1
        defer {
            session.release(client, upstream)
            close(client)
            if upstream >= 0 { close(upstream) }
        }
        var raw = [UInt8](repeating: 0, count: 16)
        var port: UInt16 = 0
        guard wnet_original_dst(client, Int32(family), &raw, &port) == 0 else {
            // Not redirected: someone connected to the proxy's own port.
            Self.reset(client)
            session.record(.init(dst: "proxy", port: 0, proto: "tcp", name: nil, sni: nil, verdict: "denied",
                                 reason: "connection to the proxy itself", bytesOut: 0, bytesIn: 0, millis: 0))
            return
        }
        let address = Array(raw.prefix(family == 4 ? 4 : 16))
        let names = session.names(pointingAt: address)
        let grant = session.grant
        var hello: TLSClientHello.Peek?
        if EgressVerdict.needsServerName(grant: grant, address: address, port: port, pinnedNames: names,
                                         hostAddresses: session.hostAddresses) {
            hello = peekHello(client)
        }
        var verdict = EgressVerdict.decide(grant: grant, address: address, port: port, pinnedNames: names,
                                           hostAddresses: session.hostAddresses, hello: hello)
        var sni: String?
        if case .hello(let name, _, _)? = hello { sni = name }
        var entry = NetworkReport.Connection(dst: IPAddressText.format(address), port: port, proto: "tcp",
                                             name: verdict.name, sni: sni, verdict: verdict.allowed ? "allowed" : "denied",
                                             reason: verdict.reason, bytesOut: 0, bytesIn: 0, millis: 0)
        if !verdict.allowed {
            guard grant.auditOnly else {
                Self.reset(client)
                entry.millis = Int64((monotonicNanos() - started) / 1_000_000)
                session.record(entry)
                return
            }
            entry.verdict = "audit"
            verdict.allowed = true
        }
        switch Self.dial(address: address, port: port) {
        case .failure(let why):
            Self.reset(client)
            entry.verdict = "failed"
            entry.reason = why.reason
        case .success(let fd):
            upstream = fd
            session.track(fd)
            let (out, inn) = Self.relay(client: client, upstream: fd)
            entry.bytesOut = out
            entry.bytesIn = inn
        }
        entry.millis = Int64((monotonicNanos() - started) / 1_000_000)
        session.record(entry)
    }

    /// Peeks at what the client sent first, waiting up to `helloWaitMillis`; nil when nothing
    /// arrived (or not TLS), else what the ClientHello parser made of it.
    private func peekHello(_ fd: Int32) -> TLSClientHello.Peek? {
        let deadline = monotonicNanos() + UInt64(Self.helloWaitMillis) * 1_000_000
        var buffer = [UInt8](repeating: 0, count: 16 * 1024 + 512)
        var last: TLSClientHello.Peek?
        var seen = 0
        while true {
            let now = monotonicNanos()
            guard now < deadline else { return last }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = Int32((deadline - now) / 1_000_000) + 1
            let n = poll(&p, 1, seen == 0 ? left : min(left, 10))
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return last }
            let got = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_PEEK | MSG_DONTWAIT)) }
            if got == 0 { return last }
            if got < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                return last
            }
            if got == seen { usleep(2000); continue }   // nothing new yet: the peek does not consume
            seen = got
            let peek = TLSClientHello.peek(Array(buffer.prefix(got)))
            switch peek {
            case .needMore: last = peek
            case .notTLS: return nil
            default: return peek
            }
        }
    }

    struct DialError: Error { let reason: String }

    static func dial(address: [UInt8], port: UInt16) -> Result<Int32, DialError> {
        let (fd, rc, error) = HostSocket.connecting(address, port, type: Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)) { fd in
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        guard fd >= 0 else { return .failure(DialError(reason: "socket: \(String(cString: strerror(error)))")) }
        if rc != 0 && error != EINPROGRESS {
            close(fd)
            return .failure(DialError(reason: "connect: \(String(cString: strerror(error)))"))
        }
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        var n: Int32
        repeat { n = poll(&p, 1, dialTimeoutMillis) } while n < 0 && errno == EINTR
        var err: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
        guard n == 1, err == 0 else {
            close(fd)
            return .failure(DialError(reason: n == 0 ? "connect: timed out" : "connect: \(String(cString: strerror(err)))"))
        }
        return .success(fd)
    }

    /// Copies both directions until both are closed; half-closes are passed on. Returns the
    /// bytes client→upstream and upstream→client.
    static func relay(client: Int32, upstream: Int32) -> (Int64, Int64) {
        var one: Int32 = 1
        setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        for fd in [client, upstream] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        var dirs = [Direction(src: client, dst: upstream), Direction(src: upstream, dst: client)]
        defer { for d in dirs { d.closePipe() } }
        guard dirs.allSatisfy(\.ready) else { return (0, 0) }
        while dirs.contains(where: { $0.open || $0.pending > 0 }) {
            var fds = dirs.map { d in
                pollfd(fd: d.pending > 0 ? d.dst : (d.open ? d.src : -1),
                       events: Int16(d.pending > 0 ? POLLOUT : POLLIN), revents: 0)
            }
            let n = poll(&fds, 2, -1)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { break }
            var failed = false
            for i in 0..<2 where fds[i].revents != 0 {
                if !dirs[i].step() { failed = true }
            }
            if failed { break }
        }
        return (dirs[0].bytes, dirs[1].bytes)
    }

    /// One direction of a relay: socket → pipe → socket, zero-copy.
    struct Direction {
        let src: Int32, dst: Int32
        var pipeR: Int32 = -1, pipeW: Int32 = -1
        var pending = 0
        var open = true
        var bytes: Int64 = 0
        /// How much one splice moves: the pipe's capacity, raised to 1 MiB where allowed
        /// (fewer splices and polls per megabyte; fs.pipe-max-size is 1 MiB by default).
        var chunk = 65536

        init(src: Int32, dst: Int32) {
            self.src = src
            self.dst = dst
            var p: [Int32] = [0, 0]
            if wnet_pipe(&p) == 0 { pipeR = p[0]; pipeW = p[1] }
            if pipeW >= 0 {
                let size = fcntl(pipeW, 1031 /* F_SETPIPE_SZ */, Int32(1 << 20))
                if size > 0 { chunk = Int(size) }
            }
        }

        var ready: Bool { pipeR >= 0 }

        func closePipe() {
            if pipeR >= 0 { close(pipeR); close(pipeW) }
        }

        /// Moves what it can without blocking: drains the pipe into `dst`, refills it from
        /// `src`, and again, until one side would block (a bounded number of rounds, so the
        /// other direction gets its turn). false on a hard error (the relay ends).
        mutating func step() -> Bool {
            for _ in 0..<16 {
                if pending > 0 {
                    let m = wnet_splice(pipeR, dst, UInt(pending))
                    if m > 0 {
                        pending -= m
                        bytes += Int64(m)
                    } else if m == -Int(EAGAIN) || m == -Int(EINTR) {
                        return true
                    } else {
                        return false
                    }
                    if pending > 0 { continue }
                    if !open { shutdown(dst, Int32(SHUT_WR)); return true }
                }
                guard open else { return true }
                let n = wnet_splice(src, pipeW, UInt(chunk))
                if n > 0 { pending = n; continue }
                if n == 0 {
                    open = false
                    shutdown(dst, Int32(SHUT_WR))
                    return true
                }
                if n == -Int(EAGAIN) || n == -Int(EINTR) { return true }
                open = false
                return false
            }
            return true
        }
    }

    /// Refuses a connection with a reset rather than a clean close.
    static func reset(_ fd: Int32) {
        var l = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
    }
}
