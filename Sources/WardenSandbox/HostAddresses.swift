#if canImport(Glibc)
import Glibc
#endif

/// The host's own interface addresses: refused as destinations unless a rule names them exactly.
enum HostAddresses {
    static func current() -> [[UInt8]] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var out: [[UInt8]] = []
        var p = list
        while let entry = p {
            defer { p = entry.pointee.ifa_next }
            guard let sa = entry.pointee.ifa_addr else { continue }
            switch Int32(sa.pointee.sa_family) {
            case AF_INET:
                var a = sockaddr_in()
                memcpy(&a, sa, MemoryLayout<sockaddr_in>.size)
                out.append(withUnsafeBytes(of: &a.sin_addr) { Array($0) })
            case AF_INET6:
                var a = sockaddr_in6()
                memcpy(&a, sa, MemoryLayout<sockaddr_in6>.size)
                out.append(withUnsafeBytes(of: &a.sin6_addr) { Array($0) })
            default: continue
            }
        }
        return Array(Set(out))
    }
}
