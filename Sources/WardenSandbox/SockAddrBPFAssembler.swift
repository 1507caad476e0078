import WardenCore

/// Collects eBPF instructions and resolves jumps to labels. Jumps go forward only: the
/// programs are straight-line decision lists, and a forward-only program is trivially free of
/// loops for the verifier.
struct EBPFAssembler {
    /// A jump target; bind it once, where the target instruction will be emitted.
    struct Label: Hashable, Sendable { fileprivate let id: Int }

    private(set) var code: [EBPFInstruction] = []
    private var targets: [Int?] = []
    private var fixups: [(at: Int, label: Int)] = []

    mutating func makeLabel() -> Label {
        targets.append(nil)
        return Label(id: targets.count - 1)
    }

    /// The next instruction emitted is `label`'s target.
    mutating func bind(_ label: Label) {
        targets[label.id] = code.count
    }

    mutating func emit(_ instruction: EBPFInstruction) { code.append(instruction) }

    mutating func emit(_ instructions: [EBPFInstruction]) { code += instructions }

    /// `if dst <cond> imm goto label` (32-bit comparison unless `wide`).
    mutating func jump(_ cond: EBPFCondition, _ dst: EBPFRegister, _ imm: UInt32, to label: Label, wide: Bool = false) {
        fixups.append((code.count, label.id))
        code.append(.jump(cond, dst, imm, wide: wide, off: 0))
    }

    /// `goto label`.
    mutating func jump(to label: Label) {
        fixups.append((code.count, label.id))
        code.append(.ja(0))
    }

    /// The program with unreachable instructions dropped (the verifier rejects a program that
    /// has any, and a decision list with an unconditional verdict leaves some behind) and
    /// every jump offset filled in (relative to the next instruction).
    func finish() throws(WardenError) -> [EBPFInstruction] {
        var jumpTarget = [Int?](repeating: nil, count: code.count)
        for fixup in fixups {
            guard let target = targets[fixup.label] else {
                throw .denied("sandbox.bpf_unavailable", "eBPF assembly: jump at \(fixup.at) to a label never bound")
            }
            guard target > fixup.at else {
                throw .denied("sandbox.bpf_unavailable", "eBPF assembly: jump at \(fixup.at) to \(target) is not forward")
            }
            jumpTarget[fixup.at] = target
        }
        // Forward-only code: one pass in order marks everything reachable from the entry.
        var reachable = [Bool](repeating: false, count: code.count + 1)
        reachable[0] = true
        var i = 0
        while i < code.count {
            let width = code[i].opcode == EBPFInstruction.ldImm64 ? 2 : 1
            if reachable[i] {
                if let t = jumpTarget[i] { reachable[t] = true }
                let fallsThrough = code[i] != .exit && !(jumpTarget[i] != nil && code[i].opcode == EBPFInstruction.ja(0).opcode)
                if fallsThrough { reachable[min(i + width, code.count)] = true }
                if width == 2 { reachable[i + 1] = true }
            }
            i += width
        }
        // Old index → new index (an unreachable target is never jumped to by kept code).
        var newIndex = [Int](repeating: 0, count: code.count + 1)
        var kept: [EBPFInstruction] = []
        var keptOld: [Int] = []
        for j in 0..<code.count {
            newIndex[j] = kept.count
            if reachable[j] { kept.append(code[j]); keptOld.append(j) }
        }
        newIndex[code.count] = kept.count
        for (n, old) in keptOld.enumerated() {
            guard let t = jumpTarget[old] else { continue }
            let distance = newIndex[t] - n - 1
            guard distance <= Int(Int16.max) else {
                throw .denied("sandbox.bpf_unavailable", "eBPF assembly: jump at \(n) spans \(distance) instructions")
            }
            kept[n].off = Int16(distance)
        }
        return kept
    }
}
