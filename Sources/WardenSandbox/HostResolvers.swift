#if canImport(Glibc)
import Glibc
#endif
import CWardenSys
import WardenCore

/// Upstream resolvers: parsed from resolv.conf text (`nameserver ADDR` lines).
public enum HostResolvers {
    public static func parse(resolvConf text: String) -> [SandboxSpec.Resolver] {
        text.split(separator: "\n").compactMap { line -> SandboxSpec.Resolver? in
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard f.count >= 2, f[0] == "nameserver" else { return nil }
            return try? SandboxSpec.Resolver(parsing: String(f[1]))
        }
    }

    /// The host's resolvers (/etc/resolv.conf), read when a run needs them.
    static func system() -> [SandboxSpec.Resolver] {
        guard let text = readSmallFile("/etc/resolv.conf") else { return [] }
        return parse(resolvConf: text)
    }
}

extension SandboxSpec.Resolver {
    /// `ADDR`, `ADDR:PORT`, `IPV6` or `[IPV6]:PORT`.
    public init(parsing text: String) throws(WardenError) {
        var host = Substring(text), port: UInt16 = 53
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let p = UInt16(rest.dropFirst()), p > 0 else {
                    throw .usage("sandbox.resolver_invalid", "resolver '\(text)': expected [IPV6]:PORT")
                }
                port = p
            }
        } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
            guard let p = UInt16(host[host.index(after: colon)...]), p > 0 else {
                throw .usage("sandbox.resolver_invalid", "resolver '\(text)': invalid port")
            }
            port = p
            host = host[..<colon]
        }
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, String(host), &v4) == 1 {
            self.init(address: withUnsafeBytes(of: &v4) { Array($0) }, port: port)
        } else if inet_pton(AF_INET6, String(host), &v6) == 1 {
            self.init(address: withUnsafeBytes(of: &v6) { Array($0) }, port: port)
        } else {
            throw .usage("sandbox.resolver_invalid", "resolver '\(text)': expected an IPv4 or IPv6 address")
        }
    }
}
