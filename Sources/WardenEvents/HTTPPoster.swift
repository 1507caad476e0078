import Foundation
import WardenCore

/// A minimal blocking HTTP/1.1 POST over POSIX sockets, with a timeout on connect, send and
/// receive. Only the status line is read. (async-http-client would add minutes of build
/// time for one request type.)
enum HTTPPoster {
    enum Outcome: Equatable {
        case status(Int)
        case transport(String)
    }

    static func post(_ endpoint: HTTPEndpoint, body: [UInt8], contentType: String, timeoutMillis: Int) -> Outcome {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list)
        guard rc == 0, let first = list else { return .transport("cannot resolve \(endpoint.host): \(String(cString: gai_strerror(rc)))") }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            ai = a.pointee.ai_next
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), a.pointee.ai_protocol)
            guard fd >= 0 else { lastError = String(cString: strerror(errno)); continue }
            defer { close(fd) }
            if let e = connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen, timeoutMillis) { lastError = e; continue }
            var tv = timeval(tv_sec: timeoutMillis / 1000, tv_usec: Int((timeoutMillis % 1000) * 1000))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            let request = Array(endpoint.requestHead(contentType: contentType, length: body.count).utf8) + body
            if let e = sendAll(fd, request) { return .transport("send: \(e)") }
            var head: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 1024)
            while head.count < 12 {
                let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n < 0 && errno == EINTR { continue }
                if n < 0 { return .transport(errno == EAGAIN ? "timed out waiting for a response" : "recv: \(String(cString: strerror(errno)))") }
                if n == 0 { break }
                head += buf[0..<n]
            }
            guard let code = HTTPEndpoint.statusCode(head) else { return .transport("malformed or missing HTTP status line") }
            return .status(code)
        }
        return .transport("connect to \(endpoint.host):\(endpoint.port): \(lastError)")
    }

    private static func connect(_ fd: Int32, _ addr: UnsafeMutablePointer<sockaddr>?, _ len: socklen_t, _ timeoutMillis: Int) -> String? {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(fd, F_SETFL, flags) }
        if Glibc.connect(fd, addr, len) == 0 { return nil }
        guard errno == EINPROGRESS else { return String(cString: strerror(errno)) }
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let r = poll(&p, 1, Int32(timeoutMillis))
        if r == 0 { return "connect timed out" }
        if r < 0 { return String(cString: strerror(errno)) }
        var err: Int32 = 0
        var l = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l)
        return err == 0 ? nil : String(cString: strerror(err))
    }

    private static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> String? {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                return errno == EAGAIN ? "timed out" : String(cString: strerror(errno))
            }
            offset += n
        }
        return nil
    }
}
