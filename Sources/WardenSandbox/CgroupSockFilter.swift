#if canImport(Glibc)
import Glibc
#endif
import CWardenSys
import Synchronization
import WardenCore
import WardenNet

/// Root mode's extra egress layer, independent of the run's network namespace: eBPF
/// cgroup socket-address programs (connect4/6, UDP sendmsg4/6) on a per-run cgroup v2
/// directory, judging every destination a process in it asks for before any packet exists.
/// See docs/SANDBOX.md, "cgroup socket filter".
///
/// Safe to use from several threads (the DNS stub pins, the drift monitor checks).
public final class CgroupSockFilter: Sendable {
    /// The per-run directory, `<cgroup2 mount>/warden-net-<runID>`.
    public let directory: String
    /// Pinned addresses the map holds at most; `allow(address:)` beyond this throws.
    public static let maxPinned = 4096
    /// Refusal records the queue keeps; beyond this the oldest are overwritten.
    public static let maxRefusals = 256

    private struct State {
        var dirFD: Int32
        var procsFD: Int32
        var mapFD: Int32
        /// The programs' refusal queue (BPF_MAP_TYPE_QUEUE), drained by `refusals()`.
        var queueFD: Int32 = -1
        /// One per hook: the link attaching the program (closing it detaches) and the program's id.
        var links: [(hook: SockAddrHook, fd: Int32, id: UInt32)]
        var destroyed = false

        /// Closes every descriptor; the links (and with them the programs) only when
        /// `detaching`. A cgroup that may still hold processes keeps its programs: the link
        /// descriptors are then deliberately left open for the life of this process.
        mutating func close(detaching: Bool) {
            for fd in [procsFD, mapFD, queueFD, dirFD] where fd >= 0 { Glibc.close(fd) }
            procsFD = -1; mapFD = -1; queueFD = -1; dirFD = -1
            if detaching { for l in links where l.fd >= 0 { Glibc.close(l.fd) } }
            links = []
        }
    }

    private let state: Mutex<State>

    private init(directory: String, state: State) {
        self.directory = directory
        self.state = Mutex(state)
    }

    /// The cgroup2 mount point (from /proc/self/mounts, read once per process).
    private static let mount = Mutex<String?>(nil)
    /// Whether this process already removed per-run directories a killed Warden left behind.
    private static let swept = Mutex(false)

    /// Creates `<cgroup2 mount>/warden-net-<runID>`, the pinned-address map and the four
    /// programs, and attaches each through a BPF link (BPF_LINK_CREATE). Only a link's
    /// descriptor can detach it, and Warden never passes those on: BPF_PROG_DETACH, which on
    /// current kernels needs no capability at all for a BPF_PROG_ATTACH'ed program without
    /// BPF_F_ALLOW_MULTI (any process that can open the directory may detach it), cannot touch
    /// them. Links attach with multi semantics, so a sub-cgroup may hold further programs, but
    /// loading one needs CAP_BPF + CAP_NET_ADMIN (the tool has neither, and its seccomp filter
    /// denies bpf(2)), and they would run before Warden's, which still sees the final
    /// destination and can only be added to, never overruled (any program's 0 is EPERM).
    /// Any failure removes what was made and throws `sandbox.bpf_unavailable`; rules that are
    /// malformed or need more than 4096 instructions throw a usage error before anything is made.
    public static func create(runID: String, rules: SockFilterRules) throws(WardenError) -> CgroupSockFilter {
        var programs: [(SockAddrHook, [EBPFInstruction])] = []
        for hook in SockAddrHook.allCases { programs.append((hook, try SockAddrProgram.build(hook, rules: rules))) }
        guard let base = cgroup2Mount() else {
            throw SockFilterKernel.unavailable("no cgroup2 hierarchy in /proc/self/mounts")
        }
        let runs = swept.withLock { done in defer { done = true }; return !done }
        if runs { StaleRuns.collect(in: base, prefix: "warden-net-") }
        let dir = base + "/warden-net-" + runID
        guard mkdir(dir, 0o755) == 0 else {
            let why = "mkdir \(dir): \(errnoText())"
            mount.withLock { $0 = nil }   // remounted? read /proc/self/mounts again next time
            throw SockFilterKernel.unavailable(why)
        }
        var s = State(dirFD: -1, procsFD: -1, mapFD: -1, links: [])
        var programFDs: [Int32] = []
        defer { for fd in programFDs { close(fd) } }   // the links hold the programs
        func fail(_ error: WardenError) -> WardenError {
            s.close(detaching: true)   // nothing has joined the cgroup yet
            rmdir(dir)
            return error
        }
        s.dirFD = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard s.dirFD >= 0 else { throw fail(SockFilterKernel.unavailable("open \(dir): \(errnoText())")) }
        do throws(WardenError) {
            s.mapFD = try SockFilterKernel.createMap(maxEntries: UInt32(maxPinned))
            s.queueFD = try SockFilterKernel.createRefusalQueue(maxEntries: UInt32(maxRefusals))
            for (hook, program) in programs {
                let fd = try SockFilterKernel.load(SockAddrProgram.bindingMap(program, fd: s.mapFD, refusalsFD: s.queueFD), hook: hook)
                programFDs.append(fd)
                let id = try SockFilterKernel.programID(fd)
                let link = wsys_bpf_link_create(fd, s.dirFD, hook.attachType)
                guard link >= 0 else {
                    throw SockFilterKernel.unavailable("BPF_LINK_CREATE \(hook.programName) on \(dir): \(SockFilterKernel.text(link))")
                }
                s.links.append((hook, link, id))
            }
        } catch {
            throw fail(error)
        }
        s.procsFD = open(dir + "/cgroup.procs", O_WRONLY | O_CLOEXEC)
        guard s.procsFD >= 0 else { throw fail(SockFilterKernel.unavailable("open \(dir)/cgroup.procs: \(errnoText())")) }
        return CgroupSockFilter(directory: dir, state: s)
    }

    private static func cgroup2Mount() -> String? {
        if let known = mount.withLock({ $0 }) { return known }
        let found = CgroupLayout.parseMounts(readSmallFile("/proc/self/mounts") ?? "").v2
        mount.withLock { $0 = found }
        return found
    }

    /// An open O_WRONLY descriptor of the directory's cgroup.procs: writing a pid moves that
    /// process in. The caller moves the sandbox's init before the program starts; children
    /// inherit. Only sockets created after the move are filtered (a socket keeps the cgroup it
    /// was created in). -1 after `destroy()`.
    public var procsFD: Int32 { state.withLock { $0.procsFD } }

    /// The directory's descriptor, for creating the sandbox inside it (clone3
    /// CLONE_INTO_CGROUP) instead of moving it in; -1 after `destroy()`.
    public var directoryFD: Int32 { state.withLock { $0.dirFD } }

    /// Moves process `pid` into the filtered cgroup.
    public func add(pid: Int32) throws(WardenError) {
        let text = Array(String(pid).utf8)
        let r = state.withLock { s in
            s.procsFD < 0 ? -EBADF : (text.withUnsafeBytes { write(s.procsFD, $0.baseAddress, text.count) } == text.count ? 0 : -errno)
        }
        guard r == 0 else { throw SockFilterKernel.unavailable("moving pid \(pid) into \(directory): \(SockFilterKernel.text(Int32(r)))") }
    }

    /// Lets connections reach `address` (4 or 16 bytes, network order) on the pinned ports;
    /// called when Warden's DNS stub pins an answer, before the answer is released to the tool.
    /// Throws `sandbox.bpf_pin_failed` for a malformed address, a full map (`maxPinned`), or
    /// after `destroy()`.
    public func allow(address: [UInt8]) throws(WardenError) {
        let key: [UInt8]
        switch address.count {
        case 4: key = [UInt8](repeating: 0, count: 10) + [0xff, 0xff] + address
        case 16: key = address
        default: throw .usage("sandbox.bpf_pin_failed", "pinned address has \(address.count) bytes (want 4 or 16)")
        }
        let one: [UInt8] = [1]
        let r = state.withLock { s -> Int32 in
            guard s.mapFD >= 0 else { return -EBADF }
            return key.withUnsafeBytes { k in one.withUnsafeBytes { v in wsys_bpf_map_update(s.mapFD, k.baseAddress, v.baseAddress, 0 /* BPF_ANY */) } }
        }
        guard r == 0 else {
            let why = r == -E2BIG ? "the filter holds \(Self.maxPinned) addresses already" : SockFilterKernel.text(r)
            throw .denied("sandbox.bpf_pin_failed", "pinning \(Self.describe(address)) in the cgroup socket filter: \(why)")
        }
    }

    /// True when exactly Warden's four programs are attached to the directory, one per hook
    /// and nothing beside them (BPF_PROG_QUERY, compared by program id; link attachments
    /// report BPF_F_ALLOW_MULTI). The drift monitor calls this about once a second; false
    /// after `destroy()`.
    public func intact() -> Bool {
        state.withLock { s in
            guard !s.destroyed, s.dirFD >= 0, s.links.count == SockAddrHook.allCases.count else { return false }
            for l in s.links {
                guard let found = SockFilterKernel.attached(cgroup: s.dirFD, hook: l.hook),
                      found.ids == [l.id], found.flags == SockFilterKernel.allowMulti else { return false }
            }
            return true
        }
    }

    /// Pops every refusal the programs recorded since the last call, oldest first, and
    /// whether the queue was full (older records may have been overwritten).
    public func refusals() -> (records: [RefusedPacket], full: Bool) {
        state.withLock { s in
            guard s.queueFD >= 0 else { return ([], false) }
            var out: [RefusedPacket] = []
            var popped = 0
            var record = [UInt8](repeating: 0, count: SockAddrProgram.refusalSize)
            while popped < Self.maxRefusals, record.withUnsafeMutableBytes({ wsys_bpf_map_pop(s.queueFD, $0.baseAddress) }) == 0 {
                popped += 1
                if let r = RefusedPacket(sockFilterRecord: record) { out.append(r) }
            }
            return (out, popped >= Self.maxRefusals)
        }
    }

    /// Once the directory is empty (waiting briefly; processes still inside after ~50 ms are
    /// killed through cgroup.kill, as the caller destroys the filter only after the run's
    /// processes are dead), detaches the programs, removes the directory and closes every
    /// descriptor. Programs are never detached from a cgroup that still holds processes: if it
    /// cannot be emptied (about 1 s), the links stay open and the directory stays (a later
    /// Warden sweeps it). Idempotent.
    public func destroy() {
        state.withLock { s in
            guard !s.destroyed else { return }
            s.destroyed = true
            if s.procsFD >= 0 { close(s.procsFD); s.procsFD = -1 }
            // Gone already counts as empty; unreadable but present does not.
            var empty = false
            for attempt in 0..<120 {
                if Self.populated(directory) == false { empty = true; break }
                if attempt == 50 { _ = writeSmallFile(directory + "/cgroup.kill", "1") }
                usleep(attempt < 50 ? 1000 : 10000)
            }
            s.close(detaching: empty)   // closing a link detaches its program
            guard empty else { return }
            // An exiting task can keep the cgroup busy for a moment after it left cgroup.events.
            for _ in 0..<50 {
                if rmdir(directory) == 0 || errno != EBUSY { break }
                usleep(1000)
            }
        }
    }

    deinit {
        // Without destroy(): the programs are detached only from an empty cgroup (fail closed).
        let dir = directory
        state.withLock { s in if !s.destroyed { s.close(detaching: Self.populated(dir) == false) } }
    }

    /// `populated` from cgroup.events (this cgroup or a descendant holds a process): false
    /// when the directory is gone, nil when the file cannot be read or parsed.
    static func populated(_ dir: String) -> Bool? {
        guard let events = readSmallFile(dir + "/cgroup.events") else {
            return access(dir, F_OK) != 0 && errno == ENOENT ? false : nil
        }
        for line in events.split(separator: "\n") where line.hasPrefix("populated ") {
            return line.dropFirst("populated ".count) != "0"
        }
        return nil
    }

    static func describe(_ address: [UInt8]) -> String {
        if address.count == 4 { return address.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: address.count - 1, by: 2)
            .map { String(UInt16(address[$0]) << 8 | UInt16(address[$0 + 1]), radix: 16) }.joined(separator: ":")
    }
}
