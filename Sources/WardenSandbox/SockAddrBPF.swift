/// An eBPF register. r0 returns, r1–r5 are arguments (clobbered by calls), r6–r9 survive
/// calls, r10 is the read-only frame pointer.
enum EBPFRegister: UInt8, Sendable {
    case r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10
}

/// Unsigned comparisons of a register with an immediate.
enum EBPFCondition: Sendable {
    case equal, notEqual, greater, greaterOrEqual, less, lessOrEqual

    /// The BPF_OP bits (linux/bpf_common.h, linux/bpf.h).
    var op: UInt8 {
        switch self {
        case .equal: 0x10
        case .notEqual: 0x50
        case .greater: 0x20
        case .greaterOrEqual: 0x30
        case .less: 0xa0
        case .lessOrEqual: 0xb0
        }
    }
}

/// One eBPF instruction (`struct bpf_insn`): opcode, dst and src registers in one byte (dst in
/// the low nibble on little-endian hosts), a signed 16-bit offset and a signed 32-bit immediate.
/// Warden builds its programs from these directly (no clang, libbpf or bpftool), as it does its
/// seccomp filter (SeccompCompiler.swift).
struct EBPFInstruction: Sendable, Equatable {
    var opcode: UInt8
    var dst: UInt8
    var src: UInt8
    var off: Int16
    var imm: Int32

    init(_ opcode: UInt8, dst: EBPFRegister = .r0, src: UInt8 = 0, off: Int16 = 0, imm: Int32 = 0) {
        self.opcode = opcode
        self.dst = dst.rawValue
        self.src = src
        self.off = off
        self.imm = imm
    }

    /// The 8 bytes the kernel reads.
    var bytes: [UInt8] {
        let o = UInt16(bitPattern: off), i = UInt32(bitPattern: imm)
        return [opcode, (src << 4) | (dst & 0x0f), UInt8(o & 0xff), UInt8(o >> 8),
                UInt8(i & 0xff), UInt8((i >> 8) & 0xff), UInt8((i >> 16) & 0xff), UInt8(i >> 24)]
    }

    /// The raw bytes of a program (what BPF_PROG_LOAD's `insns` points at).
    static func bytes(_ program: [EBPFInstruction]) -> [UInt8] { program.flatMap(\.bytes) }

    // Opcode parts (linux/bpf_common.h, linux/bpf.h).
    static let classLDX: UInt8 = 0x01, classST: UInt8 = 0x02, classSTX: UInt8 = 0x03
    static let classALU: UInt8 = 0x04, classJMP: UInt8 = 0x05, classJMP32: UInt8 = 0x06, classALU64: UInt8 = 0x07
    static let sizeW: UInt8 = 0x00, modeMEM: UInt8 = 0x60
    static let ldImm64: UInt8 = 0x18 /* BPF_LD | BPF_DW | BPF_IMM */
    /// `src` of an ld_imm64 whose immediate is a map descriptor the kernel swaps for the map.
    static let pseudoMapFD: UInt8 = 1

    /// dst = imm (64-bit, sign-extended).
    static func mov64(_ dst: EBPFRegister, _ imm: Int32) -> EBPFInstruction {
        EBPFInstruction(classALU64 | 0xb0, dst: dst, imm: imm)
    }

    /// dst = src (64-bit).
    static func mov64(_ dst: EBPFRegister, _ src: EBPFRegister) -> EBPFInstruction {
        EBPFInstruction(classALU64 | 0xb0 | 0x08, dst: dst, src: src.rawValue)
    }

    /// dst = src (low 32 bits; the upper half is zeroed).
    static func mov32(_ dst: EBPFRegister, _ src: EBPFRegister) -> EBPFInstruction {
        EBPFInstruction(classALU | 0xb0 | 0x08, dst: dst, src: src.rawValue)
    }

    /// dst &= imm (32-bit, so a mask with the top bit set is not sign-extended).
    static func and32(_ dst: EBPFRegister, _ imm: UInt32) -> EBPFInstruction {
        EBPFInstruction(classALU | 0x50, dst: dst, imm: Int32(bitPattern: imm))
    }

    /// dst >>= imm (32-bit, logical).
    static func rsh32(_ dst: EBPFRegister, _ imm: Int32) -> EBPFInstruction {
        EBPFInstruction(classALU | 0x70, dst: dst, imm: imm)
    }

    /// dst += imm (64-bit).
    static func add64(_ dst: EBPFRegister, _ imm: Int32) -> EBPFInstruction {
        EBPFInstruction(classALU64 | 0x00, dst: dst, imm: imm)
    }

    /// dst = htobe16/htobe32(dst), zero-extended: on a little-endian host this turns network
    /// byte order into numbers (and back).
    static func toBigEndian(_ dst: EBPFRegister, bits: Int32) -> EBPFInstruction {
        EBPFInstruction(classALU | 0xd0 | 0x08, dst: dst, imm: bits)
    }

    /// dst = *(u32 *)(base + off).
    static func loadWord(_ dst: EBPFRegister, _ base: EBPFRegister, _ off: Int16) -> EBPFInstruction {
        EBPFInstruction(classLDX | modeMEM | sizeW, dst: dst, src: base.rawValue, off: off)
    }

    /// *(u32 *)(base + off) = imm.
    static func storeWord(_ base: EBPFRegister, _ off: Int16, _ imm: UInt32) -> EBPFInstruction {
        EBPFInstruction(classST | modeMEM | sizeW, dst: base, off: off, imm: Int32(bitPattern: imm))
    }

    /// *(u32 *)(base + off) = src.
    static func storeWord(_ base: EBPFRegister, _ off: Int16, _ src: EBPFRegister) -> EBPFInstruction {
        EBPFInstruction(classSTX | modeMEM | sizeW, dst: base, src: src.rawValue, off: off)
    }

    /// A conditional jump comparing `dst` with `imm`: 32-bit (JMP32, the low halves; the
    /// immediate is not sign-extended into a 64-bit comparison) or 64-bit.
    static func jump(_ cond: EBPFCondition, _ dst: EBPFRegister, _ imm: UInt32, wide: Bool = false, off: Int16) -> EBPFInstruction {
        EBPFInstruction((wide ? classJMP : classJMP32) | cond.op, dst: dst, off: off, imm: Int32(bitPattern: imm))
    }

    /// pc += off (unconditional).
    static func ja(_ off: Int16) -> EBPFInstruction { EBPFInstruction(classJMP | 0x00, off: off) }

    /// Calls helper `id` (arguments in r1–r5, result in r0).
    static func call(_ id: Int32) -> EBPFInstruction { EBPFInstruction(classJMP | 0x80, imm: id) }

    /// Returns r0.
    static let exit = EBPFInstruction(classJMP | 0x90)

    /// dst = the map behind descriptor `fd` (ld_imm64: two instruction slots).
    static func loadMap(_ dst: EBPFRegister, fd: Int32) -> [EBPFInstruction] {
        [EBPFInstruction(ldImm64, dst: dst, src: pseudoMapFD, imm: fd), EBPFInstruction(0)]
    }

    /// The helper Warden's programs call (enum bpf_func_id): not GPL-only.
    static let helperMapLookup: Int32 = 1
    /// bpf_map_push_elem(map, value, flags) (Linux 4.20): the refusal queue.
    static let helperMapPush: Int32 = 87
}
