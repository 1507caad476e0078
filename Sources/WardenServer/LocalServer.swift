import Foundation
import WardenCore

/// A local service on a Unix socket: one thread per connection, peers limited to the
/// server's own user (and root), one request frame in and one reply frame out per
/// connection. What a request means is the `Handler`'s business; this type owns the socket,
/// the threads and the descriptors a peer sends.
public final class LocalServer: @unchecked Sendable {
    /// One request as the handler sees it. The descriptors are closed after the handler
    /// returns; `connection` stays open meanwhile, and becomes readable (hang-up) when the
    /// peer goes away, so a long handler can watch it and give up.
    public struct Request {
        public let message: [String: JSONValue]
        public let descriptors: [Int32]
        public let peer: UnixSocket.Peer
        public let connection: Int32
    }

    public typealias Handler = @Sendable (Request) -> JSONValue

    public let path: String
    private let listener: Int32
    private let identity: (dev: UInt64, ino: UInt64)
    private let handler: Handler
    private let maxConnections: Int
    private let allowedUIDs: Set<UInt32>

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var active = 0
    private var stopping = false

    /// Binds `path`. A socket file left by a server that is gone is replaced; a live server
    /// at `path`, or anything at `path` that is not a socket, is refused.
    public init(path: String, maxConnections: Int = 64, handler: @escaping Handler) throws(WardenError) {
        self.path = path
        self.handler = handler
        self.maxConnections = maxConnections
        allowedUIDs = [geteuid(), 0]
        var st = stat()
        if lstat(path, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFSOCK else {
                throw .usage("serve.path_taken", "\(path) exists and is not a socket; remove it or choose another home")
            }
            if case .success(let fd) = UnixSocket.connect(path: path) {
                close(fd)
                throw .usage("serve.already_running", "\(path): another warden serve answers there")
            }
            unlink(path)
        }
        listener = try UnixSocket.listen(path: path)
        guard lstat(path, &st) == 0 else {
            close(listener)
            throw UnixSocket.failure("serve.bind_failed", "\(path): cannot inspect the bound socket")
        }
        identity = (UInt64(st.st_dev), UInt64(st.st_ino))
    }

    /// Accepts connections until `stop()`; returns once every connection has been answered.
    public func serve() {
        while true {
            guard let fd = UnixSocket.accept(listener) else {
                condition.lock()
                let done = stopping
                condition.unlock()
                if done { break }
                // Out of descriptors or memory for a moment: keep serving, do not spin.
                usleep(10_000)
                continue
            }
            condition.lock()
            let admitted = !stopping && active < maxConnections
            if admitted { active += 1 }
            condition.unlock()
            if !admitted {
                Self.refuse(fd, .usage("serve.busy", "the server is at its limit of \(maxConnections) concurrent requests, or stopping"))
                close(fd)
                continue
            }
            let thread = Thread { [self] in
                answer(fd)
                condition.lock()
                active -= 1
                condition.broadcast()
                condition.unlock()
            }
            thread.name = "warden-serve-conn"
            thread.start()
        }
        condition.lock()
        while active > 0 { condition.wait() }
        condition.unlock()
    }

    /// Stops accepting and removes the socket file (if it is still ours); connections in
    /// progress finish. Safe to call from any thread, more than once.
    public func stop() {
        condition.lock()
        let first = !stopping
        stopping = true
        condition.unlock()
        guard first else { return }
        var st = stat()
        if lstat(path, &st) == 0, UInt64(st.st_dev) == identity.dev, UInt64(st.st_ino) == identity.ino { unlink(path) }
        // Wakes the accept() in `serve`.
        shutdown(listener, Int32(SHUT_RDWR))
    }

    deinit { close(listener) }

    private func answer(_ fd: Int32) {
        defer { close(fd) }
        guard let peer = UnixSocket.peer(fd) else { return }
        guard allowedUIDs.contains(peer.uid) else {
            Self.refuse(fd, .denied("serve.peer_refused", "uid \(peer.uid) may not use this server (it serves uid \(geteuid()) and root)"))
            return
        }
        // A peer that connects and says nothing must not hold a thread forever.
        UnixSocket.setReceiveTimeout(fd, seconds: 10)
        let received: (message: [String: JSONValue], descriptors: [Int32])
        do throws(WardenError) {
            received = try UnixSocket.receive(fd)
        } catch {
            Self.refuse(fd, error)
            return
        }
        defer { for d in received.descriptors { close(d) } }
        let reply = handler(Request(message: received.message, descriptors: received.descriptors, peer: peer, connection: fd))
        try? UnixSocket.send(fd, reply)
    }

    /// Sends a refusal, then drains (briefly, boundedly) what the peer still sends: closing a
    /// Unix socket with unread data resets the connection, and the peer would lose the reply.
    static func refuse(_ fd: Int32, _ error: WardenError) {
        try? UnixSocket.send(fd, refusal(error))
        shutdown(fd, Int32(SHUT_WR))
        UnixSocket.setReceiveTimeout(fd, seconds: 1)
        var sink = [UInt8](repeating: 0, count: 4096)
        var drained = 0
        while drained < Frame.maxPayload + 4 {
            let n = sink.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            drained += n
        }
    }

    /// The reply for a request refused before any handler saw it.
    public static func refusal(_ error: WardenError) -> JSONValue {
        ["error": ["code": .string(error.code), "message": .string(error.message), "category": .string(error.category.rawValue)]]
    }
}
