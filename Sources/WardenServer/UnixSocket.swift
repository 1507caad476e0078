#if canImport(Glibc)
import Glibc
#endif
import WardenCore

/// AF_UNIX stream sockets for the local run service: listen, connect, accept, peer
/// credentials, and frames with file descriptors attached (SCM_RIGHTS). Thin syscall
/// wrappers; the message format is `Frame`.
public enum UnixSocket {
    /// Who is on the other end, as the kernel recorded it at connect/listen time.
    public struct Peer: Sendable, Equatable {
        public let pid: Int32
        public let uid: UInt32
        public let gid: UInt32
    }

    /// Most descriptors one frame may carry (stdin, stdout, stderr).
    public static let maxDescriptors = 3

    /// Binds and listens at `path`, readable and writable by the owner only.
    public static func listen(path: String, backlog: Int32 = 64) throws(WardenError) -> Int32 {
        var addr = try address(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw failure("serve.socket_failed", "cannot create a socket") }
        // The socket file is created with the umask's permissions: never wider than 0600.
        let old = umask(0o177)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        umask(old)
        guard rc == 0 else {
            let e = failure("serve.bind_failed", "\(path): cannot bind")
            close(fd)
            throw e
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let e = failure("serve.listen_failed", "\(path): cannot listen")
            close(fd)
            throw e
        }
        return fd
    }

    /// Connects to `path`; returns the errno on failure (ENOENT and ECONNREFUSED: nobody serves).
    public static func connect(path: String) -> Result<Int32, Errno> {
        guard var addr = try? address(path) else { return .failure(Errno(ENAMETOOLONG)) }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(Errno(errno)) }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            return .failure(Errno(e))
        }
        return .success(fd)
    }

    /// Accepts one connection (close-on-exec); nil on failure (the socket was shut down, or the
    /// process is out of descriptors).
    public static func accept(_ listener: Int32) -> Int32? {
        while true {
            // accept4 is not visible from Swift's Glibc module; between accept and fcntl a
            // concurrent sandbox spawn could inherit the descriptor, but its child closes every
            // descriptor above 2 before anything untrusted runs.
            let fd = Glibc.accept(listener, nil, nil)
            if fd >= 0 {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                return fd
            }
            if errno == EINTR || errno == ECONNABORTED { continue }
            return nil
        }
    }

    /// The peer's pid, uid and gid (SO_PEERCRED).
    public static func peer(_ fd: Int32) -> Peer? {
        var cred = PeerCredentials()
        var len = socklen_t(MemoryLayout<PeerCredentials>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 else { return nil }
        return Peer(pid: cred.pid, uid: cred.uid, gid: cred.gid)
    }

    /// Bounds how long a receive may block (a peer that connects and says nothing).
    public static func setReceiveTimeout(_ fd: Int32, seconds: Int) {
        var tv = timeval(tv_sec: seconds, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends one frame; `descriptors` travel with its first byte.
    public static func send(_ fd: Int32, _ message: JSONValue, descriptors: [Int32] = []) throws(WardenError) {
        precondition(descriptors.count <= maxDescriptors)
        let bytes = Frame.encode(message)
        var sent = 0
        let control = descriptors.isEmpty ? [] : ControlBuffer.rights(descriptors)
        while sent < bytes.count {
            // Descriptors ride on the first sendmsg only.
            var ctl = sent == 0 ? control : []
            let n: Int = bytes.withUnsafeBytes { raw in
                var iov = iovec(iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress! + sent), iov_len: raw.count - sent)
                return withUnsafeMutablePointer(to: &iov) { p in
                    ctl.withUnsafeMutableBytes { c in
                        var msg = msghdr()
                        msg.msg_iov = p
                        msg.msg_iovlen = 1
                        if !c.isEmpty {
                            msg.msg_control = c.baseAddress
                            msg.msg_controllen = c.count
                        }
                        return sendmsg(fd, &msg, Int32(MSG_NOSIGNAL))
                    }
                }
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw failure("serve.send_failed", "cannot send to the peer") }
            sent += n
        }
    }

    /// Receives one frame and the descriptors that came with it (close-on-exec). A peer that
    /// sends more descriptors than `maxDescriptors` is refused (and what arrived is closed).
    public static func receive(_ fd: Int32) throws(WardenError) -> (message: [String: JSONValue], descriptors: [Int32]) {
        var header = [UInt8](repeating: 0, count: 4)
        var descriptors: [Int32] = []
        var truncated = false
        var got = 0
        while got < 4 {
            let n: Int = header.withUnsafeMutableBytes { raw in
                var iov = iovec(iov_base: raw.baseAddress! + got, iov_len: 4 - got)
                var control = [UInt8](repeating: 0, count: ControlBuffer.space(maxDescriptors))
                return control.withUnsafeMutableBytes { c in
                    withUnsafeMutablePointer(to: &iov) { p in
                        var msg = msghdr()
                        msg.msg_iov = p
                        msg.msg_iovlen = 1
                        msg.msg_control = c.baseAddress
                        msg.msg_controllen = c.count
                        let n = recvmsg(fd, &msg, Int32(MSG_CMSG_CLOEXEC))
                        if n > 0 {
                            descriptors += ControlBuffer.parseRights(UnsafeRawBufferPointer(rebasing: c[0..<Int(msg.msg_controllen)]))
                            if msg.msg_flags & Int32(MSG_CTRUNC) != 0 { truncated = true }
                        }
                        return n
                    }
                }
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                for d in descriptors { close(d) }
                throw n == 0 ? .usage("serve.closed", "the peer closed the connection")
                             : failure("serve.receive_failed", "cannot receive from the peer")
            }
            got += n
        }
        do throws(WardenError) {
            guard !truncated, descriptors.count <= maxDescriptors else {
                throw .usage("serve.bad_frame", "the peer sent more than \(maxDescriptors) file descriptors")
            }
            let length = try Frame.payloadLength(header: header)
            var payload = [UInt8](repeating: 0, count: length)
            var have = 0
            while have < length {
                let n = payload.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + have, length - have, 0) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    throw n == 0 ? .usage("serve.closed", "the peer closed the connection mid-frame")
                                 : failure("serve.receive_failed", "cannot receive from the peer")
                }
                have += n
            }
            return (try Frame.decode(payload: payload), descriptors)
        } catch {
            for d in descriptors { close(d) }
            throw error
        }
    }

    static func address(_ path: String) throws(WardenError) -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity, !bytes.contains(0) else {
            throw .usage("serve.socket_path", "\(path): a socket path must be 1...\(capacity - 1) bytes without NUL (choose a shorter --home)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        return addr
    }

    static func failure(_ code: String, _ what: String) -> WardenError {
        .usage(code, "\(what): \(String(cString: strerror(errno)))")
    }
}

/// `struct ucred` (pid, uid, gid), which Glibc only declares under _GNU_SOURCE.
private struct PeerCredentials {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// An errno value, for callers that branch on why a connect failed.
public struct Errno: Error, Equatable, Sendable {
    public let rawValue: Int32
    public init(_ rawValue: Int32) { self.rawValue = rawValue }
}
