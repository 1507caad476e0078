/// A classic-BPF instruction (`struct sock_filter`).
public struct BPFInstruction: Sendable, Equatable {
    public var code: UInt16
    public var jt: UInt8
    public var jf: UInt8
    public var k: UInt32

    /// The 8 bytes the kernel expects (little-endian host).
    var bytes: [UInt8] {
        [UInt8(code & 0xff), UInt8(code >> 8), jt, jf,
         UInt8(k & 0xff), UInt8((k >> 8) & 0xff), UInt8((k >> 16) & 0xff), UInt8(k >> 24)]
    }
}

/// What a seccomp rule does with a matching call.
public enum SeccompAction: Sendable, Equatable {
    case allow
    case errno(UInt16)
    case killProcess

    var value: UInt32 {
        switch self {
        case .allow: 0x7fff_0000
        case .errno(let e): 0x0005_0000 | UInt32(e)
        case .killProcess: 0x8000_0000
        }
    }
}

/// A condition on one syscall argument (low 32 bits, which is all these ABIs use).
public enum SeccompArgTest: Sendable, Equatable {
    /// arg & mask != 0
    case anyBits(arg: Int, mask: UInt32)
    /// arg == value
    case equals(arg: Int, value: UInt32)
    /// (arg & mask) == value
    case maskedEquals(arg: Int, mask: UInt32, value: UInt32)
}

/// One filter rule: for syscall `nr`, the first matching test decides `action`; when none
/// matches, `otherwise` applies, or with `otherwise` nil the next rule for the same number
/// decides (the default action when there is none). An empty test list applies `action`
/// unconditionally.
public struct SeccompRule: Sendable, Equatable {
    public let nr: UInt32
    public let tests: [SeccompArgTest]
    public let action: SeccompAction
    public let otherwise: SeccompAction?

    public init(nr: UInt32, tests: [SeccompArgTest] = [], action: SeccompAction, otherwise: SeccompAction? = .allow) {
        self.nr = nr
        self.tests = tests
        self.action = action
        self.otherwise = otherwise
    }
}

/// Warden's own seccomp-BPF compiler: architecture check, x32 rejection, then a binary search
/// on the syscall number down to leaves of self-contained blocks, one per rule (conditional
/// jumps are local and long ones use `ja`, so no 8-bit offset can overflow).
public enum SeccompCompiler {
    // BPF opcodes.
    static let ldW: UInt16 = 0x20 /* BPF_LD|BPF_W|BPF_ABS */
    static let jeqK: UInt16 = 0x15, jgeK: UInt16 = 0x35, jsetK: UInt16 = 0x45
    static let andK: UInt16 = 0x54, ret: UInt16 = 0x06
    static let offNr: UInt32 = 0, offArch: UInt32 = 4
    static func offArg(_ i: Int) -> UInt32 { 16 + 8 * UInt32(i) }

    public static let auditArchX86_64: UInt32 = 0xC000_003E
    static let x32Bit: UInt32 = 0x4000_0000

    public static func compile(arch: UInt32, rules: [SeccompRule], defaultAction: SeccompAction = .allow) -> [BPFInstruction] {
        var p: [BPFInstruction] = []
        func ins(_ code: UInt16, _ k: UInt32, _ jt: UInt8 = 0, _ jf: UInt8 = 0) {
            p.append(BPFInstruction(code: code, jt: jt, jf: jf, k: k))
        }
        // Foreign architecture (e.g. int 0x80 i386 calls) or x32: kill the process.
        ins(ldW, offArch)
        ins(jeqK, arch, 1, 0)
        ins(ret, SeccompAction.killProcess.value)
        ins(ldW, offNr)
        ins(jgeK, x32Bit, 0, 1)
        ins(ret, SeccompAction.killProcess.value)
        // Rules grouped by syscall number (original order kept within a group), sorted, and
        // dispatched by a binary search on the number: the kernel emulates the filter for every
        // syscall number when it is loaded (to cache the always-allowed ones), and a search
        // tree reaches a verdict in ~log2(groups) comparisons instead of walking every rule.
        var groups: [(nr: UInt32, rules: [SeccompRule])] = []
        for rule in rules {
            if let i = groups.firstIndex(where: { $0.nr == rule.nr }) { groups[i].rules.append(rule) }
            else { groups.append((rule.nr, [rule])) }
        }
        groups.sort { $0.nr < $1.nr }
        emitTree(groups, 0, groups.count, defaultAction: defaultAction, into: &p)
        return p
    }

    /// Leaves hold at most this many syscall numbers, checked one after the other.
    static let leafSize = 6
    static let ja: UInt16 = 0x05 /* BPF_JMP|BPF_JA: 32-bit forward offset */

    /// Emits a subtree for `groups` (A = nr on entry). Inner node: `jge pivot` falls through to
    /// an unconditional `ja` over the lower half to the upper half; conditional jumps stay
    /// 0 or 1 long, so no 8-bit offset can overflow however many rules there are.
    /// (Index bounds rather than slices: fewer generic types for the runtime to instantiate.)
    private static func emitTree(_ groups: [(nr: UInt32, rules: [SeccompRule])], _ lower: Int, _ upper: Int,
                                 defaultAction: SeccompAction, into p: inout [BPFInstruction]) {
        guard upper - lower > leafSize else {
            for i in lower..<upper { for rule in groups[i].rules { emitRule(rule, into: &p) } }
            p.append(BPFInstruction(code: ret, jt: 0, jf: 0, k: defaultAction.value))
            return
        }
        let middle = lower + (upper - lower) / 2
        p.append(BPFInstruction(code: jgeK, jt: 0, jf: 1, k: groups[middle].nr))
        let jump = p.count
        p.append(BPFInstruction(code: ja, jt: 0, jf: 0, k: 0))
        emitTree(groups, lower, middle, defaultAction: defaultAction, into: &p)
        p[jump].k = UInt32(p.count - jump - 1)
        emitTree(groups, middle, upper, defaultAction: defaultAction, into: &p)
    }

    /// One self-contained block: starts with A = nr and leaves A = nr when it falls through.
    private static func emitRule(_ rule: SeccompRule, into p: inout [BPFInstruction]) {
        func ins(_ code: UInt16, _ k: UInt32, _ jt: UInt8 = 0, _ jf: UInt8 = 0) {
            p.append(BPFInstruction(code: code, jt: jt, jf: jf, k: k))
        }
        if rule.tests.isEmpty {
            ins(jeqK, rule.nr, 0, 1)
            ins(ret, rule.action.value)
            return
        }
        var block: [BPFInstruction] = []
        for test in rule.tests {
            // Each test: load arg, [mask], compare → jump to "match" (ret action) at block end.
            switch test {
            case .anyBits(let arg, let mask):
                block.append(BPFInstruction(code: ldW, jt: 0, jf: 0, k: offArg(arg)))
                block.append(BPFInstruction(code: jsetK, jt: 0xff, jf: 0, k: mask))
            case .equals(let arg, let value):
                block.append(BPFInstruction(code: ldW, jt: 0, jf: 0, k: offArg(arg)))
                block.append(BPFInstruction(code: jeqK, jt: 0xff, jf: 0, k: value))
            case .maskedEquals(let arg, let mask, let value):
                block.append(BPFInstruction(code: ldW, jt: 0, jf: 0, k: offArg(arg)))
                block.append(BPFInstruction(code: andK, jt: 0, jf: 0, k: mask))
                block.append(BPFInstruction(code: jeqK, jt: 0xff, jf: 0, k: value))
            }
        }
        // Layout: jeq nr (else skip block) ; tests... ; ret otherwise ; ret action. Without an
        // `otherwise`: tests... ; ld nr ; ja +1 ; ret action — falling through to the next
        // rule's block with A = nr again (the tests loaded arguments into A).
        let tail = rule.otherwise == nil ? 2 : 1
        let total = block.count + tail + 1
        ins(jeqK, rule.nr, 0, UInt8(total))
        for (i, var b) in block.enumerated() {
            if b.jt == 0xff {
                // distance to "ret action" (last instruction of the block)
                b.jt = UInt8(block.count - i - 1 + tail)
            }
            p.append(b)
        }
        if let otherwise = rule.otherwise {
            ins(ret, otherwise.value)
        } else {
            ins(ldW, offNr)
            ins(ja, 1)
        }
        ins(ret, rule.action.value)
    }

    /// The raw bytes of a program (what `struct sock_fprog` points at).
    public static func bytes(_ program: [BPFInstruction]) -> [UInt8] {
        program.flatMap(\.bytes)
    }
}
