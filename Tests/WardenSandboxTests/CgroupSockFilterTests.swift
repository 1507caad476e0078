import CWardenSys
import Foundation
import Testing
import WardenCore
import WardenNet
@testable import WardenSandbox
import WardenTestSupport

/// An interpreter for the eBPF subset Warden emits, run on a synthetic `struct bpf_sock_addr`,
/// so the generated programs are checked by behaviour without root. Pointers are tagged
/// addresses: ctx at `ctxBase`, the 512-byte stack below `stackTop`, maps at `mapBase | fd`.
struct EBPFMachine {
    let program: [EBPFInstruction]
    /// Pinned keys (16 bytes) the map lookup finds.
    var pinned: Set<[UInt8]> = []

    static let ctxBase: UInt64 = 0x1000_0000, stackTop: UInt64 = 0x2000_0200, mapBase: UInt64 = 0x3000_0000

    enum Outcome: Equatable { case verdict(UInt64), invalid(String) }

    struct Socket {
        var ipv6: Bool
        var address: [UInt8]
        var port: UInt16
        var type: UInt32 = 1        // SOCK_STREAM
        var proto: UInt32 = 6       // IPPROTO_TCP
        var userFamily: UInt32? = nil

        static func tcp(_ address: [UInt8], _ port: UInt16) -> Socket { Socket(ipv6: address.count == 16, address: address, port: port) }
        static func udp(_ address: [UInt8], _ port: UInt16) -> Socket {
            Socket(ipv6: address.count == 16, address: address, port: port, type: 2, proto: 17)
        }

        var ctx: [UInt8] {
            var c = [UInt8](repeating: 0, count: 72)
            func put32(_ v: UInt32, _ off: Int) { for i in 0..<4 { c[off + i] = UInt8((v >> (8 * UInt32(i))) & 0xff) } }
            let family: UInt32 = ipv6 ? 10 : 2
            put32(userFamily ?? family, 0)
            if ipv6 { c.replaceSubrange(8..<24, with: address) } else { c.replaceSubrange(4..<8, with: address) }
            c[24] = UInt8(port >> 8); c[25] = UInt8(port & 0xff)
            put32(family, 28)
            put32(type, 32)
            put32(proto, 36)
            return c
        }
    }

    func run(_ socket: Socket) -> Outcome { execute(socket).outcome }

    /// The verdict and the records pushed onto the refusal queue (helper 87).
    func execute(_ socket: Socket) -> (outcome: Outcome, pushed: [[UInt8]]) {
        var pushed: [[UInt8]] = []
        let outcome = interpret(socket) { pushed.append($0) }
        return (outcome, pushed)
    }

    private func interpret(_ socket: Socket, push: ([UInt8]) -> Void) -> Outcome {
        let ctx = socket.ctx
        var stack = [UInt8](repeating: 0, count: 512)
        var reg = [UInt64](repeating: 0, count: 11)
        reg[1] = Self.ctxBase
        reg[10] = Self.stackTop
        func load(_ addr: UInt64) -> UInt32? {
            if addr >= Self.ctxBase, addr + 4 <= Self.ctxBase + UInt64(ctx.count) {
                let o = Int(addr - Self.ctxBase)
                return (0..<4).reduce(UInt32(0)) { $0 | UInt32(ctx[o + $1]) << (8 * UInt32($1)) }
            }
            if addr >= Self.stackTop - 512, addr + 4 <= Self.stackTop {
                let o = Int(addr - (Self.stackTop - 512))
                return (0..<4).reduce(UInt32(0)) { $0 | UInt32(stack[o + $1]) << (8 * UInt32($1)) }
            }
            return nil
        }
        func store(_ addr: UInt64, _ v: UInt32) -> Bool {
            guard addr >= Self.stackTop - 512, addr + 4 <= Self.stackTop else { return false }
            let o = Int(addr - (Self.stackTop - 512))
            for i in 0..<4 { stack[o + i] = UInt8((v >> (8 * UInt32(i))) & 0xff) }
            return true
        }
        var pc = 0, steps = 0
        while pc < program.count {
            steps += 1
            guard steps < 10_000 else { return .invalid("loop") }
            let i = program[pc]
            let d = Int(i.dst), s = Int(i.src)
            guard d <= 10, s <= 10 else { return .invalid("register") }
            let imm64 = UInt64(bitPattern: Int64(i.imm)), imm32 = UInt32(bitPattern: i.imm)
            pc += 1
            switch i.opcode {
            case 0xb7: reg[d] = imm64
            case 0xbf: reg[d] = reg[s]
            case 0xbc: reg[d] = reg[s] & 0xffff_ffff
            case 0x54: reg[d] = UInt64(UInt32(truncatingIfNeeded: reg[d]) & imm32)
            case 0x74: reg[d] = UInt64(UInt32(truncatingIfNeeded: reg[d]) >> imm32)
            case 0x07: reg[d] = reg[d] &+ imm64
            case 0xdc:
                switch i.imm {
                case 16: reg[d] = UInt64(UInt16(truncatingIfNeeded: reg[d]).byteSwapped)
                case 32: reg[d] = UInt64(UInt32(truncatingIfNeeded: reg[d]).byteSwapped)
                default: return .invalid("be\(i.imm)")
                }
            case 0x61:
                guard let v = load(reg[s] &+ UInt64(bitPattern: Int64(i.off))) else { return .invalid("load at \(pc - 1)") }
                reg[d] = UInt64(v)
            case 0x62:
                guard store(reg[d] &+ UInt64(bitPattern: Int64(i.off)), imm32) else { return .invalid("store at \(pc - 1)") }
            case 0x63:
                guard store(reg[d] &+ UInt64(bitPattern: Int64(i.off)), UInt32(truncatingIfNeeded: reg[s])) else { return .invalid("store at \(pc - 1)") }
            case 0x18:
                guard pc < program.count, i.src == 1 else { return .invalid("ld_imm64") }
                reg[d] = Self.mapBase | UInt64(UInt32(bitPattern: i.imm))
                pc += 1
            case 0x85 where i.imm == 87:
                // bpf_map_push_elem(refusal queue, value, BPF_EXIST)
                guard reg[1] == Self.mapBase | UInt64(SockAddrProgram.refusalsPlaceholder), reg[3] == 2 else { return .invalid("push") }
                var value: [UInt8] = []
                for w in 0..<(SockAddrProgram.refusalSize / 4) {
                    guard let v = load(reg[2] &+ UInt64(4 * w)) else { return .invalid("push value") }
                    value += (0..<4).map { UInt8((v >> (8 * UInt32($0))) & 0xff) }
                }
                push(value)
                reg[0] = 0
                for r in 1...5 { reg[r] = 0xdead }
            case 0x85:
                guard i.imm == 1, reg[1] & Self.mapBase == Self.mapBase else { return .invalid("call") }
                var key: [UInt8] = []
                for w in 0..<4 {
                    guard let v = load(reg[2] &+ UInt64(4 * w)) else { return .invalid("key") }
                    key += (0..<4).map { UInt8((v >> (8 * UInt32($0))) & 0xff) }
                }
                reg[0] = pinned.contains(key) ? 0x4000_0000 : 0
                for r in 1...5 { reg[r] = 0xdead }   // clobbered by the call
            case 0x95: return .verdict(reg[0])
            case 0x05:
                guard i.off >= 0 else { return .invalid("backward jump") }
                pc += Int(i.off)
            default:
                let cls = i.opcode & 0x07, op = i.opcode & 0xf0
                guard (cls == 0x05 || cls == 0x06), i.opcode & 0x08 == 0 else { return .invalid("opcode \(i.opcode)") }
                guard i.off >= 0 else { return .invalid("backward jump") }
                let a = cls == 0x06 ? reg[d] & 0xffff_ffff : reg[d]
                let b = cls == 0x06 ? UInt64(imm32) : imm64
                let taken: Bool
                switch op {
                case 0x10: taken = a == b
                case 0x50: taken = a != b
                case 0x20: taken = a > b
                case 0x30: taken = a >= b
                case 0xa0: taken = a < b
                case 0xb0: taken = a <= b
                default: return .invalid("jump op \(op)")
                }
                if taken { pc += Int(i.off) }
            }
        }
        return .invalid("fell off the end")
    }
}

@Suite(.serialized)
struct CgroupSockFilterTests {
    // MARK: encoding (no root)

    @Test func instructionBytes() {
        #expect(EBPFInstruction.mov64(.r0, 1).bytes == [0xb7, 0x00, 0, 0, 1, 0, 0, 0])
        #expect(EBPFInstruction.mov64(.r6, .r1).bytes == [0xbf, 0x16, 0, 0, 0, 0, 0, 0])
        #expect(EBPFInstruction.exit.bytes == [0x95, 0, 0, 0, 0, 0, 0, 0])
        #expect(EBPFInstruction.loadWord(.r7, .r6, 24).bytes == [0x61, 0x67, 0x18, 0, 0, 0, 0, 0])
        #expect(EBPFInstruction.toBigEndian(.r7, bits: 16).bytes == [0xdc, 0x07, 0, 0, 0x10, 0, 0, 0])
        #expect(EBPFInstruction.storeWord(.r10, -8, 0xffff_0000).bytes == [0x62, 0x0a, 0xf8, 0xff, 0, 0, 0xff, 0xff])
        #expect(EBPFInstruction.storeWord(.r10, -4, .r2).bytes == [0x63, 0x2a, 0xfc, 0xff, 0, 0, 0, 0])
        #expect(EBPFInstruction.add64(.r2, -16).bytes == [0x07, 0x02, 0, 0, 0xf0, 0xff, 0xff, 0xff])
        #expect(EBPFInstruction.and32(.r5, 0xffff_ff00).bytes == [0x54, 0x05, 0, 0, 0x00, 0xff, 0xff, 0xff])
        #expect(EBPFInstruction.rsh32(.r2, 24).bytes == [0x74, 0x02, 0, 0, 24, 0, 0, 0])
        #expect(EBPFInstruction.mov32(.r9, .r4).bytes == [0xbc, 0x49, 0, 0, 0, 0, 0, 0])
        #expect(EBPFInstruction.call(1).bytes == [0x85, 0, 0, 0, 1, 0, 0, 0])
        #expect(EBPFInstruction.jump(.equal, .r2, 127, off: 3).bytes == [0x16, 0x02, 3, 0, 0x7f, 0, 0, 0])
        #expect(EBPFInstruction.jump(.notEqual, .r8, 1, wide: true, off: 0x102).bytes == [0x55, 0x08, 0x02, 0x01, 1, 0, 0, 0])
        #expect(EBPFInstruction.jump(.lessOrEqual, .r7, 0xffff_ffff, off: 1).bytes == [0xb6, 0x07, 1, 0, 0xff, 0xff, 0xff, 0xff])
        #expect(EBPFInstruction.jump(.less, .r7, 80, off: 1).bytes[0] == 0xa6)
        #expect(EBPFInstruction.jump(.greater, .r7, 80, off: 1).bytes[0] == 0x26)
        #expect(EBPFInstruction.jump(.greaterOrEqual, .r7, 80, wide: true, off: 1).bytes[0] == 0x35)
        #expect(EBPFInstruction.ja(5).bytes == [0x05, 0, 5, 0, 0, 0, 0, 0])
        #expect(EBPFInstruction.bytes(EBPFInstruction.loadMap(.r1, fd: 5))
                == [0x18, 0x11, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func labelsResolveToForwardOffsets() throws {
        var asm = EBPFAssembler()
        let end = asm.makeLabel(), mid = asm.makeLabel()
        asm.jump(.equal, .r1, 0, to: end)               // 0 → exit
        asm.emit(EBPFInstruction.loadMap(.r1, fd: 3))    // 1 and 2: ld_imm64 takes two slots
        asm.jump(to: mid)                                // 3
        asm.emit(.mov64(.r0, 7))                         // 4: unreachable, dropped
        asm.bind(mid)
        asm.emit(.mov64(.r0, 0))                         // 5 → 4
        asm.bind(end)
        asm.emit(.exit)                                  // 6 → 5
        let p = try asm.finish()
        #expect(p.count == 6)
        #expect(p[0].off == 4)
        #expect(p[1].opcode == 0x18 && p[2] == EBPFInstruction(0))
        #expect(p[3] == .ja(0))
        #expect(p[4] == .mov64(.r0, 0))

        var bad = EBPFAssembler()
        let never = bad.makeLabel()
        bad.jump(to: never)
        #expect(throws: WardenError.self) { try bad.finish() }
    }

    // MARK: program logic (no root)

    static let v4a: [UInt8] = [10, 77, 0, 1], v4pin: [UInt8] = [10, 77, 0, 2], v4other: [UInt8] = [10, 77, 0, 3]
    static let v6a: [UInt8] = [0xfd, 0x77] + [UInt8](repeating: 0, count: 13) + [1]
    static let v6pin: [UInt8] = [0xfd, 0x77] + [UInt8](repeating: 0, count: 13) + [2]
    static let v6other: [UInt8] = [0xfd, 0x78] + [UInt8](repeating: 0, count: 13) + [1]
    static func mapped(_ v4: [UInt8]) -> [UInt8] { [UInt8](repeating: 0, count: 10) + [0xff, 0xff] + v4 }

    static let rules = SockFilterRules(
        blocks: [
            .init(address: [10, 77, 0, 1], prefix: 32, ports: [4001...4001]),
            .init(address: [10, 77, 0, 0], prefix: 24, ports: [5000...5000], udp: true),
            .init(address: [192, 168, 0, 0], prefix: 16),                       // every TCP port
            .init(address: [0xfd, 0x77] + [UInt8](repeating: 0, count: 14), prefix: 127, ports: [4001...4001, 7000...7100]),
            .init(address: mapped([172, 16, 0, 0]), prefix: 108, ports: [443...443]), // = 172.16.0.0/12
        ],
        pinnedTCPPorts: [4002...4002], pinnedUDPPorts: [6000...6001])

    func machine(_ hook: SockAddrHook, _ rules: SockFilterRules = Self.rules) throws -> EBPFMachine {
        var m = EBPFMachine(program: try SockAddrProgram.build(hook, rules: rules, mapFD: 7))
        m.pinned = [Self.mapped(Self.v4pin), Self.v6pin]
        return m
    }

    /// Every refusal is pushed onto the queue with what was refused; allowed destinations
    /// push nothing. The record parses back to the destination (IPv4-mapped as IPv4).
    @Test func refusalsAreRecordedForTheRunReport() throws {
        let m4 = try machine(.connect4), m6 = try machine(.connect6), s4 = try machine(.sendmsg4)
        let refused = m4.execute(.tcp([203, 0, 113, 7], 4001))
        #expect(refused.outcome == denied && refused.pushed.count == 1)
        let r = refused.pushed.first.flatMap(RefusedPacket.init(sockFilterRecord:))
        #expect(r == RefusedPacket(address: [203, 0, 113, 7], port: 4001, proto: "tcp"), "\(refused.pushed)")
        #expect(m4.execute(.tcp([127, 0, 0, 1], 9)).pushed.isEmpty, "allowed: nothing recorded")
        let v6: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [7]
        let six = m6.execute(.tcp(v6, 8443))
        #expect(six.outcome == denied && six.pushed.first.flatMap(RefusedPacket.init(sockFilterRecord:)) == RefusedPacket(address: v6, port: 8443, proto: "tcp"))
        let mapped: [UInt8] = [UInt8](repeating: 0, count: 10) + [0xff, 0xff, 172, 16, 0, 1]
        #expect(m6.execute(.tcp(mapped, 8443)).pushed.first.flatMap(RefusedPacket.init(sockFilterRecord:))
                == RefusedPacket(address: [172, 16, 0, 1], port: 8443, proto: "tcp"))
        let udp = s4.execute(.udp([9, 9, 9, 9], 5000))
        #expect(udp.outcome == denied && udp.pushed.first.flatMap(RefusedPacket.init(sockFilterRecord:)) == RefusedPacket(address: [9, 9, 9, 9], port: 5000, proto: "udp"))
        #expect(RefusedPacket(sockFilterRecord: [UInt8](repeating: 0, count: 32)) == nil, "family 0 is no record")
        #expect(RefusedPacket(sockFilterRecord: [1, 2, 3]) == nil)
    }

    typealias S = EBPFMachine.Socket
    let allowed = EBPFMachine.Outcome.verdict(1), denied = EBPFMachine.Outcome.verdict(0)

    @Test func connect4Decisions() throws {
        let m = try machine(.connect4)
        #expect(m.run(.tcp(Self.v4a, 4001)) == allowed)
        #expect(m.run(.tcp(Self.v4a, 4002)) == denied)
        #expect(m.run(.tcp([127, 0, 0, 1], 9)) == allowed)
        #expect(m.run(.tcp([127, 200, 3, 4], 65535)) == allowed)
        #expect(m.run(.tcp([128, 0, 0, 1], 9)) == denied)
        #expect(m.run(.tcp([0, 0, 0, 0], 4001)) == denied)   // "this host" is not loopback
        #expect(m.run(.tcp([192, 168, 44, 5], 1)) == allowed)
        #expect(m.run(.tcp([192, 169, 0, 1], 1)) == denied)
        #expect(m.run(.tcp([172, 31, 255, 1], 443)) == allowed)
        #expect(m.run(.tcp([172, 32, 0, 1], 443)) == denied)
        #expect(m.run(.tcp([172, 16, 0, 1], 444)) == denied)
        // pinned: on pinned ports of the protocol only
        #expect(m.run(.tcp(Self.v4pin, 4002)) == allowed)
        #expect(m.run(.tcp(Self.v4pin, 4001)) == denied)
        #expect(m.run(.tcp(Self.v4other, 4002)) == denied)
        #expect(m.run(.udp(Self.v4pin, 6001)) == allowed)
        #expect(m.run(.udp(Self.v4pin, 4002)) == denied)
        // protocol separation and the DNS port
        #expect(m.run(.tcp([10, 77, 0, 9], 5000)) == denied)
        #expect(m.run(.udp([10, 77, 0, 9], 5000)) == allowed)
        #expect(m.run(.udp(Self.v4a, 4001)) == denied)
        #expect(m.run(.udp([8, 8, 8, 8], 53)) == allowed)
        #expect(m.run(.tcp([8, 8, 8, 8], 53)) == denied)
        // neither TCP nor UDP (SCTP stream, ICMP datagram), or a foreign address family
        var sctp = S.tcp([192, 168, 0, 1], 80); sctp.proto = 132
        #expect(m.run(sctp) == denied)
        var mptcp = S.tcp([192, 168, 0, 1], 80); mptcp.proto = 262
        #expect(m.run(mptcp) == allowed)
        var ping = S.udp([8, 8, 8, 8], 53); ping.proto = 1
        #expect(m.run(ping) == denied)
        var raw = S.tcp([192, 168, 0, 1], 80); raw.type = 3
        #expect(m.run(raw) == denied)
        var foreign = S.tcp([127, 0, 0, 1], 80); foreign.userFamily = 1
        #expect(m.run(foreign) == denied)
    }

    @Test func connect6Decisions() throws {
        let m = try machine(.connect6)
        #expect(m.run(.tcp(Self.v6a, 4001)) == allowed)
        #expect(m.run(.tcp(Self.v6a, 7050)) == allowed)
        #expect(m.run(.tcp(Self.v6a, 7101)) == denied)
        #expect(m.run(.tcp(Self.v6a, 4002)) == denied)
        #expect(m.run(.tcp(Self.v6other, 4001)) == denied)
        #expect(m.run(.tcp([UInt8](repeating: 0, count: 15) + [1], 9)) == allowed)   // ::1
        #expect(m.run(.tcp([UInt8](repeating: 0, count: 15) + [2], 9)) == denied)    // ::2
        #expect(m.run(.tcp([UInt8](repeating: 0, count: 16), 9)) == denied)          // ::
        #expect(m.run(.tcp(Self.v6pin, 4002)) == allowed)
        #expect(m.run(.tcp(Self.v6pin, 4001)) == denied)
        #expect(m.run(.udp(Self.v6pin, 6000)) == allowed)
        #expect(m.run(.udp(Self.v6a, 53)) == allowed)
        #expect(m.run(.udp(Self.v6a, 54)) == denied)
        // IPv4-mapped destinations are judged as IPv4
        #expect(m.run(.tcp(Self.mapped(Self.v4a), 4001)) == allowed)
        #expect(m.run(.tcp(Self.mapped(Self.v4a), 4002)) == denied)
        #expect(m.run(.tcp(Self.mapped([127, 0, 0, 1]), 9)) == allowed)
        #expect(m.run(.tcp(Self.mapped(Self.v4pin), 4002)) == allowed)
        #expect(m.run(.tcp(Self.mapped([172, 20, 1, 1]), 443)) == allowed)
        // ::/0 style v6 rules do not cover mapped IPv4
        let any6 = try machine(.connect6, SockFilterRules(blocks: [.init(address: [UInt8](repeating: 0, count: 16), prefix: 0)]))
        #expect(any6.run(.tcp(Self.v6other, 1)) == allowed)
        #expect(any6.run(.tcp(Self.mapped([1, 2, 3, 4]), 1)) == denied)
    }

    @Test func sendmsgDecisions() throws {
        let m4 = try machine(.sendmsg4), m6 = try machine(.sendmsg6)
        // sendmsg hooks run for UDP only: TCP blocks never apply
        #expect(m4.run(.udp(Self.v4a, 4001)) == denied)
        #expect(m4.run(.udp([10, 77, 0, 200], 5000)) == allowed)
        #expect(m4.run(.udp([192, 168, 0, 1], 5000)) == denied)
        #expect(m4.run(.udp([1, 1, 1, 1], 53)) == allowed)
        #expect(m4.run(.udp(Self.v4a, 9)) == denied)
        #expect(m4.run(.udp(Self.v4pin, 6000)) == allowed)
        #expect(m4.run(.udp(Self.v4pin, 6002)) == denied)
        #expect(m4.run(.udp([127, 0, 0, 53], 9)) == allowed)
        #expect(m6.run(.udp(Self.v6pin, 6001)) == allowed)
        #expect(m6.run(.udp(Self.v6a, 9)) == denied)
        #expect(m6.run(.udp(Self.mapped([10, 77, 0, 7]), 5000)) == allowed)
        #expect(m6.run(.udp(Self.mapped(Self.v4pin), 6000)) == allowed)
        #expect(m6.run(.udp(Self.mapped(Self.v4a), 9)) == denied)
    }

    @Test func noPinnedPortsMeansNoLookup() throws {
        let rules = SockFilterRules(blocks: [.init(address: [10, 0, 0, 0], prefix: 8)])
        for hook in SockAddrHook.allCases {
            let p = try SockAddrProgram.build(hook, rules: rules)
            #expect(!p.contains { $0.opcode == 0x85 && $0.imm == EBPFInstruction.helperMapLookup })
        }
        var m = try machine(.connect4, rules)
        m.pinned = [Self.mapped(Self.v4pin)]
        #expect(m.run(.tcp([10, 1, 2, 3], 1)) == allowed)
        #expect(m.run(.tcp([11, 1, 2, 3], 1)) == denied)
        #expect(m.run(.tcp([UInt8](Self.v4pin), 4002)) == allowed)   // 10/8 covers it anyway
        let empty = try machine(.connect4, SockFilterRules())
        #expect(empty.run(.tcp([8, 8, 8, 8], 443)) == denied)
        #expect(empty.run(.udp([8, 8, 8, 8], 53)) == allowed)
    }

    @Test func badAndOversizedRulesAreRefused() {
        #expect(throws: WardenError.usage("sandbox.bpf_bad_rule", "egress block 0: address has 5 bytes (want 4 or 16)")) {
            _ = try SockAddrProgram.build(.connect4, rules: SockFilterRules(blocks: [.init(address: [1, 2, 3, 4, 5], prefix: 8)]))
        }
        #expect(throws: WardenError.self) {
            _ = try SockAddrProgram.build(.connect4, rules: SockFilterRules(blocks: [.init(address: [1, 2, 3, 4], prefix: 33)]))
        }
        let many = (0..<2000).map { i in
            SockFilterRules.Block(address: [10, UInt8(i >> 8), UInt8(i & 0xff), 0], prefix: 24, ports: [80...80])
        }
        do throws(WardenError) {
            _ = try SockAddrProgram.build(.connect4, rules: SockFilterRules(blocks: many))
            Issue.record("2000 blocks were accepted")
        } catch {
            #expect(error.code == "sandbox.bpf_too_many_rules")
            #expect(error.message.contains("too many rules"))
        }
        // A few hundred rules fit.
        #expect((try? SockAddrProgram.build(.connect6, rules: SockFilterRules(blocks: Array(many.prefix(500))))) != nil)
    }

    // MARK: the kernel (root, cgroup v2)

    static let unified = "/sys/fs/cgroup/unified"
    static let kernelAvailable = getuid() == 0 && FileManager.default.fileExists(atPath: unified + "/cgroup.procs")
    static let needsKernel = "needs root and cgroup v2 mounted at /sys/fs/cgroup/unified"

    static func runID() -> String { "\(getpid())-t\(UInt32.random(in: 0...UInt32.max))" }

    /// Descriptors of this process that are BPF programs or maps.
    static func bpfDescriptors() -> Int {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.filter { fd in
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + fd)) ?? ""
            return ["anon_inode:bpf-prog", "anon_inode:bpf-map", "anon_inode:bpf_link"].contains { target.hasPrefix($0) }
        }.count
    }

    /// A trivial allow-all program for `hook`, loaded by the test (a "foreign" program).
    static func foreignProgram(_ hook: SockAddrHook) -> Int32 {
        let bytes = EBPFInstruction.bytes([.mov64(.r0, 1), .exit])
        return bytes.withUnsafeBytes { wsys_bpf_prog_load(18, hook.attachType, $0.baseAddress, 2, "Proprietary", "test_foreign", nil, 0) }
    }

    static let client = #"""
import errno, os, shutil, socket, subprocess, sys
A, B = int(sys.argv[1]), int(sys.argv[2])
ip = shutil.which("ip") or "/usr/sbin/ip"
def sh(*a): subprocess.run([ip] + list(a), check=True)
sh("link", "set", "lo", "up")
for a in ["10.77.0.1/32", "10.77.0.2/32", "10.77.0.3/32"]: sh("addr", "add", a, "dev", "lo")
for a in ["fd77::1/128", "fd77::2/128", "fd77::3/128"]: sh("-6", "addr", "add", a, "dev", "lo", "nodad")
keep = []
for fam, host in [(socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")]:
    for p in (A, B):
        s = socket.socket(fam, socket.SOCK_STREAM)
        if fam == socket.AF_INET6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((host, p)); s.listen(64); keep.append(s)
def report(name, f):
    try:
        f(); r = "ok"
    except OSError as e:
        r = errno.errorcode.get(e.errno, str(e.errno))
    print(name, r, flush=True)
def tcp(name, fam, addr):
    s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(3)
    report(name, lambda: s.connect(addr)); s.close()
def tfo(name, addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.settimeout(3)
    report(name, lambda: s.sendto(b"x", socket.MSG_FASTOPEN, addr)); s.close()
def udp(name, fam, addr, connect=False):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    report(name, (lambda: s.connect(addr)) if connect else (lambda: s.sendto(b"x", addr))); s.close()
V4, V6 = socket.AF_INET, socket.AF_INET6
tcp("block4_allowed_port", V4, ("10.77.0.1", A))
tcp("block4_other_port", V4, ("10.77.0.1", B))
tcp("block6_allowed_port", V6, ("fd77::1", A))
tcp("block6_other_port", V6, ("fd77::1", B))
tcp("pinned4_pinned_port", V4, ("10.77.0.2", B))
tcp("pinned4_other_port", V4, ("10.77.0.2", A))
tcp("pinned6_pinned_port", V6, ("fd77::2", B))
tcp("pinned6_other_port", V6, ("fd77::2", A))
tcp("unlisted4", V4, ("10.77.0.3", B))
tcp("unlisted6", V6, ("fd77::3", B))
tcp("mapped_block_allowed", V6, ("::ffff:10.77.0.1", A))
tcp("mapped_block_other", V6, ("::ffff:10.77.0.1", B))
tcp("mapped_pinned", V6, ("::ffff:10.77.0.2", B))
tcp("loopback4", V4, ("127.0.0.1", B))
tcp("loopback6", V6, ("::1", B))
tcp("loopback_mapped", V6, ("::ffff:127.0.0.1", B))
tcp("tcp_to_dns_port", V4, ("10.77.0.3", 53))
tfo("fastopen_other_port", ("10.77.0.1", B))
udp("udp4_port9", V4, ("10.77.0.1", 9))
udp("udp4_dns", V4, ("10.77.0.3", 53))
udp("udp6_port9", V6, ("fd77::1", 9))
udp("udp6_dns", V6, ("fd77::3", 53))
udp("udp_mapped_port9", V6, ("::ffff:10.77.0.1", 9))
udp("udp_block", V4, ("10.77.0.1", 5000))
udp("udp_pinned", V4, ("10.77.0.2", 6000))
udp("udp_pinned_other", V4, ("10.77.0.2", 6002))
udp("udp_connect_port9", V4, ("10.77.0.1", 9), connect=True)
udp("udp_connect_dns", V4, ("10.77.0.3", 53), connect=True)
"""#

    static let expected: [String: String] = [
        "block4_allowed_port": "ok", "block4_other_port": "EPERM",
        "block6_allowed_port": "ok", "block6_other_port": "EPERM",
        "pinned4_pinned_port": "ok", "pinned4_other_port": "EPERM",
        "pinned6_pinned_port": "ok", "pinned6_other_port": "EPERM",
        "unlisted4": "EPERM", "unlisted6": "EPERM",
        "mapped_block_allowed": "ok", "mapped_block_other": "EPERM", "mapped_pinned": "ok",
        "loopback4": "ok", "loopback6": "ok", "loopback_mapped": "ok",
        "tcp_to_dns_port": "EPERM", "fastopen_other_port": "EPERM",
        "udp4_port9": "EPERM", "udp4_dns": "ok", "udp6_port9": "EPERM", "udp6_dns": "ok",
        "udp_mapped_port9": "EPERM", "udp_block": "ok", "udp_pinned": "ok", "udp_pinned_other": "EPERM",
        "udp_connect_port9": "EPERM", "udp_connect_dns": "ok",
    ]

    /// Runs the client in a fresh network namespace after it joined `procs` (a cgroup.procs path,
    /// or /dev/null for the unfiltered control run); name → "ok" or the errno name.
    static func runClient(procs: String, a: UInt16, b: UInt16) throws -> [String: String] {
        let r = try TestProcess.run("/bin/sh", ["-c", "echo $$ > \"$1\" && shift && exec unshare -n /usr/bin/python3 -c \"$@\"",
                                                "sh", procs, client, String(a), String(b)])
        #expect(r.status == 0, "\(r.transcript)")
        var out: [String: String] = [:]
        for line in r.stdout.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2 { out[String(f[0])] = String(f[1]) }
        }
        return out
    }

    @Test(.enabled(if: kernelAvailable, "\(needsKernel)"))
    func enforcesBlocksPinsLoopbackAndDNS() throws {
        let a: UInt16 = 4001, b: UInt16 = 4002
        let rules = SockFilterRules(
            blocks: [.init(address: [10, 77, 0, 1], prefix: 32, ports: [a...a]),
                     .init(address: [0xfd, 0x77] + [UInt8](repeating: 0, count: 14), prefix: 127, ports: [a...a]),
                     .init(address: [10, 77, 0, 1], prefix: 32, ports: [5000...5000], udp: true)],
            pinnedTCPPorts: [b...b], pinnedUDPPorts: [6000...6001])
        let filter = try CgroupSockFilter.create(runID: Self.runID(), rules: rules)
        defer { filter.destroy() }
        try filter.allow(address: [10, 77, 0, 2])
        try filter.allow(address: [0xfd, 0x77] + [UInt8](repeating: 0, count: 13) + [2])
        #expect(filter.intact())

        let filtered = try Self.runClient(procs: filter.directory + "/cgroup.procs", a: a, b: b)
        for (name, want) in Self.expected.sorted(by: { $0.key < $1.key }) {
            #expect(filtered[name] == want, "\(name)")
        }
        // The same client outside the cgroup: nothing is refused, so every EPERM above is the filter's.
        let control = try Self.runClient(procs: "/dev/null", a: a, b: b)
        #expect(control.count == Self.expected.count)
        #expect(!control.values.contains("EPERM"), "\(control)")
        #expect(filter.intact())
    }

    @Test(.enabled(if: kernelAvailable, "\(needsKernel)"))
    func addMovesAProcessIn() throws {
        let filter = try CgroupSockFilter.create(runID: Self.runID(), rules: SockFilterRules())
        defer { filter.destroy() }
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["30"]
        try sleeper.run()
        defer { if sleeper.isRunning { sleeper.terminate() }; sleeper.waitUntilExit() }
        try filter.add(pid: sleeper.processIdentifier)
        let cgroup = (try? String(contentsOfFile: "/proc/\(sleeper.processIdentifier)/cgroup", encoding: .utf8)) ?? ""
        let name = "/" + (filter.directory as NSString).lastPathComponent
        #expect(cgroup.split(separator: "\n").contains { $0 == "0::\(name)" }, "\(cgroup)")
        #expect(filter.procsFD >= 0)
        // destroy() with the process still inside kills it (cgroup.kill) and still removes the directory.
        filter.destroy()
        sleeper.waitUntilExit()
        #expect(!FileManager.default.fileExists(atPath: filter.directory))
        #expect(throws: WardenError.self) { try filter.add(pid: getpid()) }
    }

    @Test(.enabled(if: kernelAvailable, "\(needsKernel)"))
    func intactNoticesForeignPrograms() throws {
        let filter = try CgroupSockFilter.create(runID: Self.runID(), rules: SockFilterRules())
        defer { filter.destroy() }
        #expect(filter.intact())
        let foreign = Self.foreignProgram(.connect4)
        #expect(foreign >= 0, "load: \(foreign)")
        defer { if foreign >= 0 { close(foreign) } }
        let dir = open(filter.directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { close(dir) }
        // Neither a replacing attach (flags 0) nor a detach without Warden's link works, even as root.
        #expect(wsys_bpf_prog_attach(dir, foreign, SockAddrHook.connect4.attachType, 0) == -EPERM)
        #expect(wsys_bpf_prog_detach(dir, -1, SockAddrHook.sendmsg6.attachType) < 0)
        #expect(filter.intact())
        // A privileged foreign program beside Warden's is drift.
        #expect(wsys_bpf_prog_attach(dir, foreign, SockAddrHook.connect4.attachType, SockFilterKernel.allowMulti) == 0)
        #expect(!filter.intact())
        #expect(wsys_bpf_prog_detach(dir, foreign, SockAddrHook.connect4.attachType) == 0)
        #expect(filter.intact())
    }

    @Test(.enabled(if: kernelAvailable, "\(needsKernel)"))
    func nestedProgramsCannotLoosen() throws {
        let rules = SockFilterRules(blocks: [.init(address: [10, 77, 0, 1], prefix: 32, ports: [4001...4001])])
        let filter = try CgroupSockFilter.create(runID: Self.runID(), rules: rules)
        defer { filter.destroy() }
        let child = filter.directory + "/nested"
        #expect(mkdir(child, 0o755) == 0)
        defer { rmdir(child) }
        // A privileged process attaches allow-all programs in a sub-cgroup: they run first, and
        // Warden's still refuses (any program's 0 is EPERM).
        var foreign: [Int32] = []
        defer { for fd in foreign { close(fd) } }
        let dir = open(child, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { close(dir) }
        for hook in SockAddrHook.allCases {
            let fd = Self.foreignProgram(hook)
            foreign.append(fd)
            #expect(wsys_bpf_prog_attach(dir, fd, hook.attachType, 0) == 0)
        }
        let got = try Self.runClient(procs: child + "/cgroup.procs", a: 4001, b: 4002)
        #expect(got["block4_allowed_port"] == "ok")
        #expect(got["block4_other_port"] == "EPERM")
        #expect(got["unlisted6"] == "EPERM")
        #expect(got["udp4_port9"] == "EPERM")
        #expect(filter.intact())
    }

    static let detacher = #"""
import ctypes, os, platform, struct, sys
nr = {"x86_64": 321, "aarch64": 280}[platform.machine()]
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
for attach_type in (10, 11, 14, 15):
    attr = ctypes.create_string_buffer(struct.pack("IIIII", fd, 0, attach_type, 0, 0) + bytes(128 - 20), 128)
    r = libc.syscall(nr, 9, attr, 128)  # BPF_PROG_DETACH
    print(attach_type, r, ctypes.get_errno())
"""#

    /// Without capabilities (as nobody, and as uid 0 with every capability dropped), with bpf(2)
    /// allowed (the sandbox's seccomp filter denies it outright) and the directory open.
    @Test(.enabled(if: kernelAvailable, "\(needsKernel)"), arguments: [["--reuid=65534", "--regid=65534", "--clear-groups"], []])
    func processesWithoutCapabilitiesCannotDetach(identity: [String]) throws {
        let filter = try CgroupSockFilter.create(runID: Self.runID(), rules: SockFilterRules())
        defer { filter.destroy() }
        let r = try TestProcess.run("/usr/bin/setpriv", identity + ["--inh-caps=-all", "--bounding-set=-all", "--no-new-privs",
                                                                   "/usr/bin/python3", "-c", Self.detacher, filter.directory])
        #expect(r.status == 0, "\(r.transcript)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 4, "\(r.transcript)")
        for line in lines {
            #expect(line.split(separator: " ").dropFirst().first == "-1", "\(line)")   // refused
        }
        #expect(filter.intact())
    }

    @Test(.enabled(if: kernelAvailable, "\(needsKernel)"))
    func destroyLeavesNothingBehind() throws {
        let before = Self.bpfDescriptors()
        let filter = try CgroupSockFilter.create(runID: Self.runID(), rules: Self.rules)
        #expect(Self.bpfDescriptors() == before + 6)   // four links, the map and the refusal queue
        #expect(FileManager.default.fileExists(atPath: filter.directory))
        filter.destroy()
        #expect(!FileManager.default.fileExists(atPath: filter.directory))
        #expect(Self.bpfDescriptors() == before)
        #expect(!filter.intact())
        #expect(filter.procsFD == -1)
        filter.destroy()   // idempotent
        #expect(throws: WardenError.self) { try filter.allow(address: [1, 2, 3, 4]) }
    }

    @Test(.enabled(if: kernelAvailable, "\(needsKernel)"))
    func pinnedMapIsBounded() throws {
        let filter = try CgroupSockFilter.create(runID: Self.runID(), rules: SockFilterRules(pinnedTCPPorts: [443...443]))
        defer { filter.destroy() }
        for i in 0..<CgroupSockFilter.maxPinned {
            try filter.allow(address: [10, UInt8(i >> 8), UInt8(i & 0xff), 1])
        }
        try filter.allow(address: [10, 0, 0, 1])   // already pinned: still fine when full
        do throws(WardenError) {
            try filter.allow(address: [11, 0, 0, 1])
            Issue.record("a pin beyond the map's capacity was accepted")
        } catch {
            #expect(error.code == "sandbox.bpf_pin_failed")
            #expect(error.message.contains("4096"))
        }
        #expect(throws: WardenError.self) { try filter.allow(address: [1, 2, 3]) }
    }

    @Test(.enabled(if: kernelAvailable, "\(needsKernel)"))
    func failuresCleanUp() throws {
        let id = Self.runID()
        let taken = Self.unified + "/warden-net-" + id
        #expect(mkdir(taken, 0o755) == 0)
        defer { rmdir(taken) }
        do throws(WardenError) {
            _ = try CgroupSockFilter.create(runID: id, rules: SockFilterRules())
            Issue.record("created over an existing directory")
        } catch {
            #expect(error.code == "sandbox.bpf_unavailable")
            #expect(error.message.contains("mkdir"))
        }
        let before = Self.bpfDescriptors()
        let many = (0..<2000).map { SockFilterRules.Block(address: [10, UInt8($0 >> 8), UInt8($0 & 0xff), 0], prefix: 24, ports: [80...80]) }
        #expect(throws: WardenError.self) { _ = try CgroupSockFilter.create(runID: Self.runID(), rules: SockFilterRules(blocks: many)) }
        #expect(Self.bpfDescriptors() == before)
    }

    @Test(.enabled(if: kernelAvailable, "\(needsKernel)"))
    func createDestroyCost() throws {
        var create: [Double] = [], destroy: [Double] = [], total: [Double] = []
        func now() -> Double { var t = timespec(); clock_gettime(CLOCK_MONOTONIC, &t); return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) / 1e6 }
        for _ in 0..<50 {
            let t0 = now()
            let filter = try CgroupSockFilter.create(runID: Self.runID(), rules: Self.rules)
            let t1 = now()
            filter.destroy()
            let t2 = now()
            create.append(t1 - t0); destroy.append(t2 - t1); total.append(t2 - t0)
        }
        func median(_ v: [Double]) -> String { String(format: "%.3f", v.sorted()[v.count / 2]) }
        print("CgroupSockFilter create+destroy x50 medians (ms): create \(median(create)), destroy \(median(destroy)), total \(median(total)); max total \(String(format: "%.3f", total.max() ?? 0))")
    }
}
