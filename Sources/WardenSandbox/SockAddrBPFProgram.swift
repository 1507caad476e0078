import WardenCore

/// The four cgroup socket-address hooks Warden attaches (enum bpf_attach_type, linux/bpf.h).
enum SockAddrHook: CaseIterable, Sendable {
    case connect4, connect6, sendmsg4, sendmsg6

    var attachType: UInt32 {
        switch self {
        case .connect4: 10   // BPF_CGROUP_INET4_CONNECT
        case .connect6: 11   // BPF_CGROUP_INET6_CONNECT
        case .sendmsg4: 14   // BPF_CGROUP_UDP4_SENDMSG
        case .sendmsg6: 15   // BPF_CGROUP_UDP6_SENDMSG
        }
    }

    var ipv6: Bool { self == .connect6 || self == .sendmsg6 }
    /// sendmsg hooks see only unconnected UDP sends (connected sockets were checked at connect).
    var sendmsg: Bool { self == .sendmsg4 || self == .sendmsg6 }
    /// The program's name in `bpftool prog` and /proc/<pid>/fdinfo (at most 15 bytes).
    var programName: String {
        switch self {
        case .connect4: "warden_conn4"
        case .connect6: "warden_conn6"
        case .sendmsg4: "warden_send4"
        case .sendmsg6: "warden_send6"
        }
    }
}

/// Generates the BPF_PROG_TYPE_CGROUP_SOCK_ADDR program for one hook from the rules. The
/// program sees the destination the caller asked for (`struct bpf_sock_addr`) and returns 1
/// (allow) or 0 (the syscall fails with EPERM). Decision list, first match allows:
/// loopback (127/8, ::1) on any port; UDP to the DNS port; a static block of the socket's
/// protocol containing the address and port; a pinned address (hash map, 16-byte keys with
/// IPv4 as ::ffff:a.b.c.d) on a pinned port of the protocol. IPv4-mapped destinations in the
/// IPv6 hooks are judged as IPv4. Everything else, and any socket that is not TCP or UDP, is
/// denied.
enum SockAddrProgram {
    /// Programs longer than this are refused as "too many rules" (the kernel allows more, but a
    /// linear decision list this long is already a sign of a grant that should use hostnames).
    static let maxInstructions = 4096

    // struct bpf_sock_addr (linux/bpf.h); all fields are read as 4-byte words.
    static let offUserFamily: Int16 = 0, offUserIP4: Int16 = 4, offUserIP6: Int16 = 8
    static let offUserPort: Int16 = 24, offType: Int16 = 32, offProtocol: Int16 = 36
    static let afInet: UInt32 = 2, afInet6: UInt32 = 10
    static let sockStream: UInt32 = 1, sockDgram: UInt32 = 2
    static let tcpProtocols: [UInt32] = [6 /* TCP */, 262 /* MPTCP */]
    static let udpProtocols: [UInt32] = [17 /* UDP */, 136 /* UDP-Lite */]

    /// A block as host-order words (one for IPv4, four for IPv6) with per-word masks.
    struct Block: Equatable {
        var words: [UInt32]
        var masks: [UInt32]
        var ports: [ClosedRange<UInt16>]
        var udp: Bool
    }

    /// The rules' blocks split by family, validated.
    static func blocks(_ rules: SockFilterRules) throws(WardenError) -> (v4: [Block], v6: [Block]) {
        var v4: [Block] = [], v6: [Block] = []
        for (i, b) in rules.blocks.enumerated() {
            var address = b.address, prefix = b.prefix
            guard address.count == 4 || address.count == 16 else {
                throw .usage("sandbox.bpf_bad_rule", "egress block \(i): address has \(address.count) bytes (want 4 or 16)")
            }
            guard prefix >= 0, prefix <= address.count * 8 else {
                throw .usage("sandbox.bpf_bad_rule", "egress block \(i): prefix /\(prefix) out of range")
            }
            // ::ffff:a.b.c.d/96+ is the IPv4 block a.b.c.d/(prefix-96): the hooks judge mapped
            // destinations as IPv4.
            if address.count == 16, prefix >= 96, address[0..<10].allSatisfy({ $0 == 0 }), address[10] == 0xff, address[11] == 0xff {
                address = Array(address[12..<16])
                prefix -= 96
            }
            var words: [UInt32] = [], masks: [UInt32] = []
            for w in 0..<(address.count / 4) {
                words.append(address[(4 * w)..<(4 * w + 4)].reduce(0) { $0 << 8 | UInt32($1) })
                let bits = min(max(prefix - 32 * w, 0), 32)
                masks.append(bits == 0 ? 0 : UInt32.max << UInt32(32 - bits))
            }
            let block = Block(words: zip(words, masks).map { $0 & $1 }, masks: masks, ports: b.ports, udp: b.udp)
            if words.count == 1 { v4.append(block) } else { v6.append(block) }
        }
        return (v4, v6)
    }

    /// The program for `hook`; the map's ld_imm64 carries `mapFD` (see `bindingMap`).
    static func build(_ hook: SockAddrHook, rules: SockFilterRules, mapFD: Int32 = pinsPlaceholder,
                      refusalsFD: Int32 = refusalsPlaceholder) throws(WardenError) -> [EBPFInstruction] {
        let (v4, v6) = try blocks(rules)
        var g = Generator(hook: hook, rules: rules, mapFD: mapFD, refusalsFD: refusalsFD)
        g.emit(v4: v4, v6: v6)
        let program = try g.asm.finish()
        guard program.count <= maxInstructions else {
            throw .usage("sandbox.bpf_too_many_rules",
                         "egress filter for \(hook.programName) needs \(program.count) eBPF instructions (limit \(maxInstructions)): too many rules")
        }
        return program
    }

    /// Map references of a program built without descriptors: the pinned addresses and the
    /// refusal queue.
    static let pinsPlaceholder: Int32 = 0, refusalsPlaceholder: Int32 = 1

    /// One refused destination as the programs push it (little-endian words): family,
    /// protocol, the port as the socket address holds it (network order in the low two bytes),
    /// then the address (4 bytes for IPv4, 16 for IPv6) and padding.
    static let refusalSize = 32

    /// `program` with its map references pointing at the pinned-address map `fd` and the
    /// refusal queue `refusalsFD`.
    static func bindingMap(_ program: [EBPFInstruction], fd: Int32, refusalsFD: Int32) -> [EBPFInstruction] {
        program.map { ins in
            var ins = ins
            if ins.opcode == EBPFInstruction.ldImm64 && ins.src == EBPFInstruction.pseudoMapFD {
                ins.imm = ins.imm == refusalsPlaceholder ? refusalsFD : fd
            }
            return ins
        }
    }
}

/// Emits one program. Registers: r6 = ctx, r7 = destination port (host order), r8 = protocol
/// (0 TCP, 1 UDP), r9 = IPv4 destination (host order); r1–r5 scratch (IPv6 words in r1–r4).
private struct Generator {
    let hook: SockAddrHook
    let rules: SockFilterRules
    let mapFD: Int32
    let refusalsFD: Int32
    var asm = EBPFAssembler()
    let allow: EBPFAssembler.Label
    let deny: EBPFAssembler.Label

    typealias P = SockAddrProgram
    static let tcp: UInt32 = 0, udp: UInt32 = 1

    init(hook: SockAddrHook, rules: SockFilterRules, mapFD: Int32, refusalsFD: Int32) {
        self.hook = hook
        self.rules = rules
        self.mapFD = mapFD
        self.refusalsFD = refusalsFD
        allow = asm.makeLabel()
        deny = asm.makeLabel()
    }

    mutating func emit(v4: [P.Block], v6: [P.Block]) {
        asm.emit(.mov64(.r6, .r1))
        asm.emit(.loadWord(.r7, .r6, P.offUserPort))
        asm.emit(.toBigEndian(.r7, bits: 16))
        // A connect with another family fails in the kernel anyway; refusing it here keeps the
        // address fields' meaning certain.
        asm.emit(.loadWord(.r2, .r6, P.offUserFamily))
        asm.jump(.notEqual, .r2, hook.ipv6 ? P.afInet6 : P.afInet, to: deny)
        emitProtocol()
        // UDP to the DNS port, any address: the namespace sends it to Warden's stub.
        let notDNS = asm.makeLabel()
        asm.jump(.notEqual, .r8, Self.udp, to: notDNS, wide: true)
        asm.jump(.equal, .r7, UInt32(rules.dnsPort), to: allow)
        asm.bind(notDNS)
        let ipv4 = asm.makeLabel()
        if hook.ipv6 {
            for w in 0..<4 {
                let r = Self.wordRegister(w)
                asm.emit(.loadWord(r, .r6, P.offUserIP6 + Int16(4 * w)))
                asm.emit(.toBigEndian(r, bits: 32))
            }
            // ::ffff:a.b.c.d → the IPv4 section with r9 = a.b.c.d.
            let notMapped = asm.makeLabel()
            asm.jump(.notEqual, .r1, 0, to: notMapped)
            asm.jump(.notEqual, .r2, 0, to: notMapped)
            asm.jump(.notEqual, .r3, 0xffff, to: notMapped)
            asm.emit(.mov32(.r9, .r4))
            asm.jump(to: ipv4)
            asm.bind(notMapped)
            // ::1
            let notLoopback = asm.makeLabel()
            for w in 0..<3 { asm.jump(.notEqual, Self.wordRegister(w), 0, to: notLoopback) }
            asm.jump(.equal, .r4, 1, to: allow)
            asm.bind(notLoopback)
            emitBlocks(v6) { g, block, next in g.matchV6(block, else: next) }
            // Key: the destination as the program was given it (network order).
            for w in 0..<4 {
                asm.emit(.loadWord(.r5, .r6, P.offUserIP6 + Int16(4 * w)))
                asm.emit(.storeWord(.r10, -16 + Int16(4 * w), .r5))
            }
            emitPinned()
        } else {
            asm.emit(.loadWord(.r9, .r6, P.offUserIP4))
            asm.emit(.toBigEndian(.r9, bits: 32))
        }
        asm.bind(ipv4)
        // 127.0.0.0/8
        asm.emit(.mov32(.r2, .r9))
        asm.emit(.rsh32(.r2, 24))
        asm.jump(.equal, .r2, 127, to: allow)
        emitBlocks(v4) { g, block, next in g.matchV4(block, else: next) }
        // Key ::ffff:a.b.c.d: ten zero bytes, ff ff, the address (stored as little-endian words).
        asm.emit(.storeWord(.r10, -16, 0))
        asm.emit(.storeWord(.r10, -12, 0))
        asm.emit(.storeWord(.r10, -8, 0xffff_0000))
        asm.emit(.mov32(.r2, .r9))
        asm.emit(.toBigEndian(.r2, bits: 32))
        asm.emit(.storeWord(.r10, -4, .r2))
        emitPinned()
        asm.bind(deny)
        emitRefusalRecord()
        asm.emit(.mov64(.r0, 0))
        asm.emit(.exit)
        asm.bind(allow)
        asm.emit(.mov64(.r0, 1))
        asm.emit(.exit)
    }

    static func wordRegister(_ w: Int) -> EBPFRegister { [.r1, .r2, .r3, .r4][w] }

    /// Pushes what was refused (`SockAddrProgram.refusalSize` bytes at r10-48, below the
    /// pinned-address key) onto the refusal queue, overwriting the oldest record when it is
    /// full (BPF_EXIST), so the run's record can name every refused destination. The push's
    /// result is ignored: the verdict is deny either way.
    private mutating func emitRefusalRecord() {
        let base: Int16 = -48
        for (i, field) in [P.offUserFamily, P.offProtocol, P.offUserPort].enumerated() {
            asm.emit(.loadWord(.r2, .r6, field))
            asm.emit(.storeWord(.r10, base + Int16(4 * i), .r2))
        }
        for w in 0..<4 {
            let off = base + 12 + Int16(4 * w)
            if hook.ipv6 {
                asm.emit(.loadWord(.r2, .r6, P.offUserIP6 + Int16(4 * w)))
                asm.emit(.storeWord(.r10, off, .r2))
            } else if w == 0 {
                asm.emit(.loadWord(.r2, .r6, P.offUserIP4))
                asm.emit(.storeWord(.r10, off, .r2))
            } else {
                asm.emit(.storeWord(.r10, off, 0))
            }
        }
        asm.emit(.storeWord(.r10, base + 28, 0))
        asm.emit(EBPFInstruction.loadMap(.r1, fd: refusalsFD))
        asm.emit(.mov64(.r2, .r10))
        asm.emit(.add64(.r2, Int32(base)))
        asm.emit(.mov64(.r3, 2 /* BPF_EXIST */))
        asm.emit(.call(EBPFInstruction.helperMapPush))
    }

    /// r8 = 0 for TCP, 1 for UDP; any other socket is denied.
    private mutating func emitProtocol() {
        if hook.sendmsg {
            asm.emit(.mov64(.r8, Int32(Self.udp)))
            return
        }
        let known = asm.makeLabel(), notStream = asm.makeLabel()
        asm.emit(.loadWord(.r2, .r6, P.offType))
        asm.emit(.loadWord(.r3, .r6, P.offProtocol))
        asm.jump(.notEqual, .r2, P.sockStream, to: notStream)
        asm.emit(.mov64(.r8, Int32(Self.tcp)))
        for p in P.tcpProtocols { asm.jump(.equal, .r3, p, to: known) }
        asm.jump(to: deny)
        asm.bind(notStream)
        asm.jump(.notEqual, .r2, P.sockDgram, to: deny)
        asm.emit(.mov64(.r8, Int32(Self.udp)))
        for p in P.udpProtocols { asm.jump(.equal, .r3, p, to: known) }
        asm.jump(to: deny)
        asm.bind(known)
    }

    /// The blocks of the socket's protocol, each `match` (jumping to `next` on a mismatch)
    /// then its ports; falls through when none matched.
    private mutating func emitBlocks(_ blocks: [P.Block], match: (inout Generator, P.Block, EBPFAssembler.Label) -> Void) {
        let tcp = hook.sendmsg ? [] : blocks.filter { !$0.udp }
        let udp = blocks.filter(\.udp)
        let done = asm.makeLabel()
        if !tcp.isEmpty {
            let notTCP = asm.makeLabel()
            asm.jump(.notEqual, .r8, Self.tcp, to: notTCP, wide: true)
            for b in tcp {
                let next = asm.makeLabel()
                match(&self, b, next)
                emitPorts(b.ports, emptyMeansAll: true)
                asm.bind(next)
            }
            asm.jump(to: done)
            asm.bind(notTCP)
        }
        if !udp.isEmpty {
            if !hook.sendmsg { asm.jump(.notEqual, .r8, Self.udp, to: done, wide: true) }
            for b in udp {
                let next = asm.makeLabel()
                match(&self, b, next)
                emitPorts(b.ports, emptyMeansAll: true)
                asm.bind(next)
            }
        }
        asm.bind(done)
    }

    private mutating func matchV4(_ b: P.Block, else next: EBPFAssembler.Label) {
        matchWord(.r9, value: b.words[0], mask: b.masks[0], else: next)
    }

    private mutating func matchV6(_ b: P.Block, else next: EBPFAssembler.Label) {
        for w in 0..<4 { matchWord(Self.wordRegister(w), value: b.words[w], mask: b.masks[w], else: next) }
    }

    private mutating func matchWord(_ r: EBPFRegister, value: UInt32, mask: UInt32, else next: EBPFAssembler.Label) {
        switch mask {
        case 0: return
        case UInt32.max: asm.jump(.notEqual, r, value, to: next)
        default:
            asm.emit(.mov32(.r5, r))
            asm.emit(.and32(.r5, mask))
            asm.jump(.notEqual, .r5, value, to: next)
        }
    }

    /// Jumps to allow when r7 is in `ports` (an empty list is every port when
    /// `emptyMeansAll`, else none); falls through otherwise.
    private mutating func emitPorts(_ ports: [ClosedRange<UInt16>], emptyMeansAll: Bool) {
        if ports.isEmpty {
            if emptyMeansAll { asm.jump(to: allow) }
            return
        }
        for range in ports {
            let lo = UInt32(range.lowerBound), hi = UInt32(range.upperBound)
            if lo == hi {
                asm.jump(.equal, .r7, lo, to: allow)
            } else if lo == 0 {
                asm.jump(.lessOrEqual, .r7, hi, to: allow)
            } else {
                let below = asm.makeLabel()
                asm.jump(.less, .r7, lo, to: below)
                asm.jump(.lessOrEqual, .r7, hi, to: allow)
                asm.bind(below)
            }
        }
    }

    /// With the key at r10-16: looks the destination up among pinned addresses and allows it
    /// on the pinned ports of the socket's protocol; otherwise denies.
    private mutating func emitPinned() {
        let tcpPorts = hook.sendmsg ? [] : rules.pinnedTCPPorts
        let udpPorts = rules.pinnedUDPPorts
        guard !tcpPorts.isEmpty || !udpPorts.isEmpty else { asm.jump(to: deny); return }
        // No lookup for a protocol with no pinned ports.
        if tcpPorts.isEmpty && !hook.sendmsg { asm.jump(.equal, .r8, Generator.tcp, to: deny, wide: true) }
        if udpPorts.isEmpty { asm.jump(.equal, .r8, Generator.udp, to: deny, wide: true) }
        asm.emit(EBPFInstruction.loadMap(.r1, fd: mapFD))
        asm.emit(.mov64(.r2, .r10))
        asm.emit(.add64(.r2, -16))
        asm.emit(.call(EBPFInstruction.helperMapLookup))
        asm.jump(.equal, .r0, 0, to: deny, wide: true)
        if !tcpPorts.isEmpty {
            let notTCP = asm.makeLabel()
            asm.jump(.notEqual, .r8, Generator.tcp, to: notTCP, wide: true)
            emitPorts(tcpPorts, emptyMeansAll: false)
            asm.jump(to: deny)
            asm.bind(notTCP)
        }
        if !udpPorts.isEmpty { emitPorts(udpPorts, emptyMeansAll: false) }
        asm.jump(to: deny)
    }
}
