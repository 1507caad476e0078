#if canImport(Glibc)
import Glibc
#endif

/// Sockets the supervisor opens in the host's namespace on behalf of a run (the proxy's,
/// relay's and stub's upstream legs).
enum HostSocket {
    /// A socket of `type` (SOCK_STREAM or SOCK_DGRAM, with SOCK_NONBLOCK if wanted) whose
    /// connect() to `address` (4 or 16 bytes) has been started: the descriptor and connect's
    /// return code and errno, or -errno of socket() as the descriptor.
    static func connecting(_ address: [UInt8], _ port: UInt16, type: Int32,
                           prepare: (Int32) -> Void = { _ in }) -> (fd: Int32, rc: Int32, error: Int32) {
        let family = address.count == 4 ? AF_INET : AF_INET6
        let fd = socket(family, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return (-errno, -1, errno) }
        prepare(fd)
        var rc: Int32
        if family == AF_INET {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = port.bigEndian
            withUnsafeMutableBytes(of: &a.sin_addr) { $0.copyBytes(from: address) }
            rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        } else {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &a.sin6_addr) { $0.copyBytes(from: address) }
            rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        }
        return (fd, rc, rc == 0 ? 0 : errno)
    }
}
