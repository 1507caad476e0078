#if canImport(Glibc)
import Glibc
#endif
import WardenCore
import CWardenSys
import WardenNet

/// A run's egress enforcement while it lives: the namespace's ruleset, the proxy and stub
/// threads, and the drift monitor's netlink socket. Started between clone and the program's
/// start; finished after the sandbox is gone.
final class EgressRun {
    /// Fixed ports inside the run's own namespace: nothing else can bind there before Warden.
    static let proxyPort: UInt16 = 15001
    static let dnsPort: UInt16 = 15053
    static let udpPort: UInt16 = 15054

    let session: EgressSession
    let ruleset: NftRuleset
    private let proxy: EgressProxy
    private let stub: DNSStub
    private let udp: UDPRelay?
    private let monitorFD: Int32
    private let nftFD: Int32
    private let nflogFD: Int32
    private let ownPortID: UInt32
    private let sockFilter: CgroupSockFilter?

    var pollFD: Int32 { monitorFD }

    private init(session: EgressSession, ruleset: NftRuleset, proxy: EgressProxy, stub: DNSStub, udp: UDPRelay?,
                 monitorFD: Int32, nftFD: Int32, nflogFD: Int32, ownPortID: UInt32, sockFilter: CgroupSockFilter?) {
        self.session = session
        self.ruleset = ruleset
        self.proxy = proxy
        self.stub = stub
        self.udp = udp
        self.monitorFD = monitorFD
        self.nftFD = nftFD
        self.nflogFD = nflogFD
        self.ownPortID = ownPortID
        self.sockFilter = sockFilter
    }

    /// Sets up `pid`'s network namespace for `egress` and starts the proxy and stub. Throws
    /// (and leaves nothing running) when any part cannot be enforced.
    static func start(pid: Int32, egress: SandboxSpec.Egress, nftPath: String,
                      sockFilter: CgroupSockFilter?) throws(WardenError) -> EgressRun {
        let ruleset = NftRuleset(proxyPort: proxyPort, dnsPort: dnsPort, udpPort: udpPort, udpMark: UInt32(WNET_UDP_MARK), logGroup: UInt16(WNET_NFLOG_GROUP),
                                 rules: egress.grant.rules, auditOnly: egress.grant.auditOnly)
        var s = wnet_sockets()
        var err = [CChar](repeating: 0, count: 1024)
        let rc = wnet_prepare(pid, nftPath, ruleset.text, Int32(proxyPort), Int32(dnsPort),
                              ruleset.hasUDP ? Int32(udpPort) : 0, &s, &err, Int32(err.count))
        guard rc == 0 else {
            let why = String(decoding: err.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw .denied("sandbox.egress_setup_failed", "cannot set up the run's network: \(why.isEmpty ? String(cString: strerror(-rc)) : why)")
        }
        let all = [s.tcp4, s.tcp6, s.udp4, s.udp6, s.nft, s.monitor, s.nflog] + (ruleset.hasUDP ? [s.relay4, s.relay6, s.raw4, s.raw6] : [])
        let portID = wnet_portid(s.nft)
        let sub = wnet_monitor_subscribe(s.monitor)
        guard portID != 0, sub == 0 else {
            for fd in all { close(fd) }
            throw .denied("sandbox.egress_setup_failed", "cannot watch the run's ruleset: \(String(cString: strerror(sub == 0 ? EINVAL : -sub)))")
        }
        let hostAddresses = HostAddresses.current()
        let session = EgressSession(grant: egress.grant, hostAddresses: hostAddresses, resolvers: egress.resolvers,
                                    nftFD: s.nft, onPin: { address in try? sockFilter?.allow(address: address) })
        do throws(WardenError) {
            let proxy = try EgressProxy(session: session, tcp4: s.tcp4, tcp6: s.tcp6)
            let stub = try DNSStub(session: session, udp4: s.udp4, udp6: s.udp6)
            let udp = ruleset.hasUDP ? try UDPRelay(session: session, relay4: s.relay4, relay6: s.relay6, raw4: s.raw4, raw6: s.raw6) : nil
            try proxy.start()
            do throws(WardenError) {
                try stub.start()
                do throws(WardenError) { try udp?.start() } catch {
                    stub.stop()
                    throw error
                }
            } catch {
                proxy.stop()
                throw error
            }
            return EgressRun(session: session, ruleset: ruleset, proxy: proxy, stub: stub, udp: udp, monitorFD: s.monitor,
                             nftFD: s.nft, nflogFD: s.nflog, ownPortID: portID, sockFilter: sockFilter)
        } catch {
            for fd in all { close(fd) }
            throw error
        }
    }

    /// A description of what changed when the namespace's ruleset or the cgroup's programs are
    /// no longer exactly Warden's; nil while intact.
    func drift() -> String? {
        var what = [CChar](repeating: 0, count: 256)
        let n = wnet_monitor_drain(monitorFD, ownPortID, &what, Int32(what.count))
        if n < 0 { return "the ruleset monitor failed (\(String(cString: strerror(-n)))); assuming the rules changed" }
        if n > 0 {
            let text = String(decoding: what.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return "the run's nftables ruleset was changed from outside Warden (\(text))"
        }
        if let f = sockFilter, !f.intact() { return "the run's cgroup socket filter was detached or replaced" }
        return nil
    }

    /// What the namespace's ruleset refused (rootless, the first layer that sees an unlisted
    /// host on a granted port; as root the socket filter usually refuses first), from nflog.
    private func recordRuleRefusals() {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var lost: Int32 = 0
        let n = buffer.withUnsafeMutableBytes { wnet_nflog_drain(nflogFD, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt($0.count), &lost) }
        var i = 0
        while i < n {
            let len = Int(buffer[i])
            guard i + 1 + len <= n else { break }
            if let p = RefusedPacket(packet: Array(buffer[(i + 1)..<(i + 1 + len)])) {
                session.record(.refused(p, by: "the run's nftables ruleset"))
            }
            i += 1 + len
        }
        if lost != 0 { session.markTruncated() }
    }

    /// Stops the threads and returns what the network did.
    func finish(drift: String?) -> NetworkReport {
        udp?.stop()
        stub.stop()
        proxy.stop()
        if let drift { session.markDrift(drift) }
        // Root mode: what the socket filter refused in the kernel (never seen by the proxy).
        if let f = sockFilter {
            let (refused, full) = f.refusals()
            for r in refused { session.record(.refused(r, by: "the cgroup socket filter (EPERM)")) }
            if full { session.markTruncated() }
        }
        recordRuleRefusals()
        close(monitorFD)
        close(nftFD)
        close(nflogFD)
        return session.report
    }
}
