#if canImport(Glibc)
import Glibc
#endif
import WardenCore
import CWardenSys
import Synchronization
import WardenNet

/// One run's egress state, shared by the proxy's threads, the DNS stub and the supervisor: the
/// pinned DNS answers (a name resolves once per run; later answers cannot widen the set), the
/// connection log, and the descriptors to close when the run ends.
final class EgressSession: @unchecked Sendable {
    let grant: EgressGrant
    let hostAddresses: [[UInt8]]
    let resolvers: [SandboxSpec.Resolver]
    private let nftFD: Int32
    /// Extra layers told about every pinned address before the answer is released (cgroup BPF).
    private let onPin: ([UInt8]) -> Void
    private let startNanos = monotonicNanos()

    private struct State {
        var pins: [String: [[UInt8]]] = [:]          // "name/type" → answers
        var byAddress: [[UInt8]: Set<String>] = [:]  // answer → names
        var report: NetworkReport
        var open: Set<Int32> = []
        var stopping = false
        var seq: UInt32 = 1
        var activeConnections = 0
    }
    private let state: Mutex<State>

    static let maxActiveConnections = 256

    init(grant: EgressGrant, hostAddresses: [[UInt8]], resolvers: [SandboxSpec.Resolver], nftFD: Int32,
         onPin: @escaping ([UInt8]) -> Void) {
        self.grant = grant
        self.hostAddresses = hostAddresses
        self.resolvers = resolvers
        self.nftFD = nftFD
        self.onPin = onPin
        state = Mutex(State(report: NetworkReport(grant: grant.rules.map(\.description),
                                                  mode: grant.auditOnly ? "audit-only" : "enforce")))
    }

    var millisSinceStart: Int64 { Int64((monotonicNanos() - startNanos) / 1_000_000) }

    /// The pinned answers of `name`/`type`, if it was resolved already.
    func pinned(name: String, type: UInt16) -> [[UInt8]]? {
        state.withLock { $0.pins["\(name)/\(type)"] }
    }

    /// Names whose pinned answers include `address`.
    func names(pointingAt address: [UInt8]) -> [String] {
        state.withLock { Array($0.byAddress[address] ?? []) }
    }

    /// Pins `answers` for `name`/`type` unless an earlier answer already did (that one wins),
    /// installs them in the namespace's nftables sets and the other layers, and returns what
    /// the client may be told. A failure to install fails the query (nothing is half-allowed).
    func pin(name: String, type: UInt16, answers: [[UInt8]], dropped: [[UInt8]]) -> [[UInt8]]? {
        state.withLock { s -> [[UInt8]]? in
            let key = "\(name)/\(type)"
            if let existing = s.pins[key] { return existing }
            let fresh = answers.filter { s.byAddress[$0] == nil }
            let tcp = grant.rule(forName: name, port: nil, proto: .tcp) != nil
            let udp = grant.rule(forName: name, port: nil, proto: .udp) != nil
            for family in [4, 16] {
                let batch = answers.filter { $0.count == family }
                guard !batch.isEmpty, !grant.auditOnly else { continue }
                for set in NftRuleset.pinnedSets(family: family, tcp: tcp, udp: udp) {
                    let rc = batch.flatMap { $0 }.withUnsafeBufferPointer {
                        wnet_nft_add_addresses(nftFD, family == 4 ? 4 : 6, NftRuleset.table, set, $0.baseAddress, Int32(batch.count), s.seq)
                    }
                    s.seq &+= 3
                    guard rc == 0 else { return nil }
                }
            }
            for a in fresh { onPin(a) }
            s.pins[key] = answers
            for a in answers { s.byAddress[a, default: []].insert(name) }
            if s.report.dns.count < NetworkReport.maxPins {
                s.report.dns.append(.init(name: name, type: type == DNSMessage.typeAAAA ? "AAAA" : "A",
                                          answers: answers.map(IPAddressText.format), dropped: dropped.map(IPAddressText.format),
                                          pinnedAt: millisSinceStart))
            } else {
                s.report.truncated = true
            }
            return answers
        }
    }

    func countDenied() { state.withLock { $0.report.denied += 1 } }

    func record(_ c: NetworkReport.Connection) {
        state.withLock { s in
            if c.verdict == "denied" { s.report.denied += 1 }
            if s.report.connections.count < NetworkReport.maxConnections {
                s.report.connections.append(c)
            } else {
                s.report.truncated = true
            }
        }
    }

    /// Registers a descriptor to be shut down when the run ends; false once stopping or when
    /// too many connections are open (the caller refuses the connection).
    func admit(_ fds: Int32...) -> Bool {
        state.withLock { s in
            guard !s.stopping, s.activeConnections < Self.maxActiveConnections else { return false }
            s.activeConnections += 1
            for fd in fds { s.open.insert(fd) }
            return true
        }
    }

    func track(_ fd: Int32) { state.withLock { _ = $0.open.insert(fd) } }

    func release(_ fds: Int32...) {
        state.withLock { s in
            s.activeConnections -= 1
            for fd in fds { s.open.remove(fd) }
        }
    }

    var stopping: Bool { state.withLock { $0.stopping } }

    /// Wakes every thread blocked on a connection: shutdown() makes their polls return.
    func stop() {
        state.withLock { s in
            s.stopping = true
            for fd in s.open { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    func markDrift(_ what: String) { state.withLock { $0.report.drift = what } }

    func markTruncated() { state.withLock { $0.report.truncated = true } }

    var report: NetworkReport { state.withLock { $0.report } }
    var activeConnections: Int { state.withLock { $0.activeConnections } }
}
