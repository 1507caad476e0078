import Testing
@testable import WardenSandbox
import WardenTestSupport

/// A classic-BPF interpreter for seccomp programs: evaluates the compiled filter on synthetic
/// `seccomp_data`, so the compiler is checked by behaviour, not by byte layout.
struct BPFMachine {
    let program: [BPFInstruction]

    enum Outcome: Equatable { case verdict(UInt32), invalid(String) }

    /// data: nr, arch, ip, args[6] laid out as in struct seccomp_data.
    func run(nr: UInt32, arch: UInt32 = SeccompCompiler.auditArchX86_64, args: [UInt64] = []) -> Outcome {
        var data = [UInt8](repeating: 0, count: 64)
        func put32(_ v: UInt32, _ off: Int) { for i in 0..<4 { data[off + i] = UInt8((v >> (8 * UInt32(i))) & 0xff) } }
        put32(nr, 0)
        put32(arch, 4)
        for (i, a) in args.prefix(6).enumerated() {
            put32(UInt32(truncatingIfNeeded: a), 16 + 8 * i)
            put32(UInt32(truncatingIfNeeded: a >> 32), 20 + 8 * i)
        }
        var acc: UInt32 = 0
        var pc = 0
        var steps = 0
        while pc < program.count {
            steps += 1
            if steps > 4096 { return .invalid("loop") }
            let ins = program[pc]
            switch ins.code {
            case 0x20:
                let k = Int(ins.k)
                guard k + 4 <= data.count, k % 4 == 0 else { return .invalid("load out of range") }
                acc = UInt32(data[k]) | UInt32(data[k + 1]) << 8 | UInt32(data[k + 2]) << 16 | UInt32(data[k + 3]) << 24
                pc += 1
            case 0x54: acc &= ins.k; pc += 1
            case 0x15: pc += 1 + Int(acc == ins.k ? ins.jt : ins.jf)
            case 0x35: pc += 1 + Int(acc >= ins.k ? ins.jt : ins.jf)
            case 0x45: pc += 1 + Int(acc & ins.k != 0 ? ins.jt : ins.jf)
            case 0x05: pc += 1 + Int(ins.k)   // ja (forward only)
            case 0x06: return .verdict(ins.k)
            default: return .invalid("opcode \(ins.code)")
            }
        }
        return .invalid("fell off the end")
    }
}

@Suite("Seccomp BPF compiler")
struct SeccompCompilerTests {
    /// The filter the sandbox actually loads (compiled once per process).
    let machine = BPFMachine(program: SeccompPolicy.compiled.instructions)
    let allow = SeccompAction.allow.value
    let eperm = SeccompAction.errno(1).value
    let kill = SeccompAction.killProcess.value

    /// W^X for what the program can write: no anonymous executable memory, no memfds, no
    /// executable SysV segments; file mappings (ld.so loading libraries) stay allowed.
    @Test func writableMemoryNeverBecomesExecutable() {
        let rwx: UInt64 = 7, rx: UInt64 = 5, rw: UInt64 = 3, anon: UInt64 = 0x22, priv: UInt64 = 0x2
        #expect(machine.run(nr: 9, args: [0, 4096, rwx, anon, ~0, 0]) == .verdict(eperm))   // mmap anon RWX
        #expect(machine.run(nr: 9, args: [0, 4096, rx, anon, ~0, 0]) == .verdict(eperm))    // mmap anon RX
        #expect(machine.run(nr: 9, args: [0, 4096, rw, anon, ~0, 0]) == .verdict(allow))    // mmap anon RW
        #expect(machine.run(nr: 9, args: [0, 4096, rx, priv, 3, 0]) == .verdict(allow))     // a library's text
        #expect(machine.run(nr: 10, args: [0, 4096, rx]) == .verdict(eperm))                // mprotect +X
        #expect(machine.run(nr: 10, args: [0, 4096, 1]) == .verdict(allow))                 // RELRO
        #expect(machine.run(nr: 329, args: [0, 4096, rx, 0]) == .verdict(eperm))            // pkey_mprotect +X
        #expect(machine.run(nr: 319, args: [0, 0x8]) == .verdict(eperm))                    // memfd_create
        #expect(machine.run(nr: 30, args: [1, 0, 0o100000]) == .verdict(eperm))             // shmat(SHM_EXEC)
        #expect(machine.run(nr: 30, args: [1, 0, 0]) == .verdict(allow))                    // shmat
        let jit = BPFMachine(program: SeccompPolicy.variants[2].instructions)
        #expect(jit.run(nr: 9, args: [0, 4096, rwx, anon, ~0, 0]) == .verdict(allow))
        #expect(jit.run(nr: 10, args: [0, 4096, rx]) == .verdict(allow))
        #expect(jit.run(nr: 319, args: [0, 0x8]) == .verdict(allow))
        #expect(jit.run(nr: 319, args: [0, 0x10]) == .verdict(eperm))                       // MFD_EXEC
        #expect(jit.run(nr: 30, args: [1, 0, 0o100000]) == .verdict(eperm))
    }

    @Test func foreignArchitectureAndX32AreKilled() {
        #expect(machine.run(nr: 0, arch: 0x4000_0003 /* i386 */) == .verdict(kill))
        #expect(machine.run(nr: 0x4000_0000 + 1) == .verdict(kill))
        #expect(machine.run(nr: 0) == .verdict(allow))
    }

    @Test func everyDeniedSyscallGetsEPERM() {
        for (name, nr) in SeccompPolicy.denied {
            #expect(machine.run(nr: nr) == .verdict(eperm), "\(name)")
        }
    }

    @Test func clone3FallsBackAndCloneFlagsAreInspected() {
        #expect(machine.run(nr: 435) == .verdict(SeccompAction.errno(38).value))
        #expect(machine.run(nr: 56, args: [0x0120_0011]) == .verdict(allow))        // fork-style clone
        #expect(machine.run(nr: 56, args: [0x003d_0f00]) == .verdict(allow))        // pthread_create flags
        for flag: UInt64 in [0x1000_0000, 0x2000_0000, 0x4000_0000, 0x0002_0000, 0x0800_0000, 0x0400_0000, 0x0200_0000] {
            #expect(machine.run(nr: 56, args: [flag | 0x11]) == .verdict(eperm))
        }
    }

    @Test func ioctlSocketAndPersonalityArguments() {
        #expect(machine.run(nr: 16, args: [1, 0x5412]) == .verdict(eperm))        // TIOCSTI
        #expect(machine.run(nr: 16, args: [1, 0x541C]) == .verdict(eperm))        // TIOCLINUX
        #expect(machine.run(nr: 16, args: [1, 0x5423]) == .verdict(eperm))        // TIOCSETD
        #expect(machine.run(nr: 16, args: [1, 0x5424]) == .verdict(allow))        // TIOCGETD
        #expect(machine.run(nr: 16, args: [1, 0x1_0000_5412]) == .verdict(eperm)) // high bits ignored by the kernel too
        #expect(machine.run(nr: 16, args: [1, 0x5401]) == .verdict(allow))        // TCGETS
        #expect(machine.run(nr: 41, args: [17, 3, 0]) == .verdict(eperm))         // AF_PACKET
        #expect(machine.run(nr: 41, args: [2, 3, 1]) == .verdict(eperm))          // SOCK_RAW
        #expect(machine.run(nr: 41, args: [2, 3 | 0x80000, 1]) == .verdict(eperm)) // SOCK_RAW|SOCK_CLOEXEC
        #expect(machine.run(nr: 41, args: [2, 1, 0]) == .verdict(allow))          // TCP
        #expect(machine.run(nr: 41, args: [1, 1 | 0x80000, 0]) == .verdict(eperm)) // AF_UNIX: denied by default
        #expect(machine.run(nr: 41, args: [40, 1, 0]) == .verdict(eperm))         // AF_VSOCK: not namespaced
        #expect(machine.run(nr: 41, args: [38, 5, 0]) == .verdict(eperm))         // AF_ALG
        #expect(machine.run(nr: 41, args: [10, 2, 0]) == .verdict(allow))         // AF_INET6 UDP
        #expect(machine.run(nr: 41, args: [16, 2, 0]) == .verdict(allow))         // AF_NETLINK SOCK_DGRAM
        #expect(machine.run(nr: 41, args: [16, 3, 0]) == .verdict(eperm))         // AF_NETLINK SOCK_RAW
        #expect(machine.run(nr: 53, args: [1, 1, 0]) == .verdict(allow))          // socketpair(AF_UNIX)
        let unix = BPFMachine(program: SeccompPolicy.variants[1].instructions)
        #expect(unix.run(nr: 41, args: [1, 1 | 0x80000, 0]) == .verdict(allow))   // ... unless allowed
        #expect(unix.run(nr: 41, args: [17, 3, 0]) == .verdict(eperm))            // AF_PACKET still denied
        #expect(unix.run(nr: 41, args: [2, 3, 1]) == .verdict(eperm))             // SOCK_RAW still denied
        for m in SeccompPolicy.modeArguments {                                     // no setuid/setgid bits
            var args = [UInt64](repeating: 0, count: 6)
            for mode: UInt64 in [0o4755, 0o2755, 0o6777, 0o104755] {
                args[m.arg] = mode
                #expect(machine.run(nr: m.nr, args: args) == .verdict(eperm), "\(m.name) \(String(mode, radix: 8))")
            }
            for mode: UInt64 in [0o755, 0o1777, 0o644, 0] {
                args[m.arg] = mode
                #expect(machine.run(nr: m.nr, args: args) == .verdict(allow), "\(m.name) \(String(mode, radix: 8))")
            }
        }
        #expect(machine.run(nr: 437) == .verdict(SeccompAction.errno(38).value))   // openat2: ENOSYS
        #expect(machine.run(nr: 319, args: [0, 0x10]) == .verdict(eperm))        // memfd_create(MFD_EXEC)
        #expect(machine.run(nr: 319, args: [0, 0x1]) == .verdict(eperm))         // any memfd (CodeLoadingTests)
        #expect(machine.run(nr: 135, args: [0]) == .verdict(allow))
        #expect(machine.run(nr: 135, args: [0xffff_ffff]) == .verdict(allow))
        #expect(machine.run(nr: 135, args: [8]) == .verdict(eperm))
        #expect(machine.run(nr: 135, args: [0x0040_0000]) == .verdict(eperm))     // READ_IMPLIES_EXEC
    }

    /// Property: for random syscall numbers and arguments the program always terminates with a
    /// verdict, and any number outside the rule set is allowed.
    @Test func randomInputsAlwaysReachAVerdict() {
        var rng = SystemRandomNumberGenerator()
        let ruled = Set(SeccompPolicy.rules.map(\.nr))
        for _ in 0..<20_000 {
            let nr = UInt32.random(in: 0..<600, using: &rng)
            let args = (0..<6).map { _ in UInt64.random(in: 0...UInt64.max, using: &rng) }
            let outcome = machine.run(nr: nr, args: args)
            guard case .verdict(let v) = outcome else {
                Issue.record("no verdict for nr \(nr): \(outcome)")
                return
            }
            if !ruled.contains(nr) { #expect(v == allow, "nr \(nr)") }
        }
    }

    /// The compiled search tree decides exactly as the rules read in order (first rule for the
    /// number decides; no rule: allow), for every number below 600 and random arguments,
    /// on the real policy and on random rule sets with repeated numbers.
    @Test func searchTreeMatchesTheRulesInOrder() {
        func reference(_ rules: [SeccompRule], nr: UInt32, args: [UInt64]) -> UInt32 {
            for rule in rules where rule.nr == nr {
                if rule.tests.isEmpty { return rule.action.value }
                for test in rule.tests {
                    let hit: Bool
                    switch test {
                    case .anyBits(let arg, let mask): hit = UInt32(truncatingIfNeeded: args[arg]) & mask != 0
                    case .equals(let arg, let value): hit = UInt32(truncatingIfNeeded: args[arg]) == value
                    case .maskedEquals(let arg, let mask, let value): hit = UInt32(truncatingIfNeeded: args[arg]) & mask == value
                    }
                    if hit { return rule.action.value }
                }
                if let otherwise = rule.otherwise { return otherwise.value }
            }
            return SeccompAction.allow.value
        }
        var rng = SplitMix64(state: 0x5ecc0)
        var ruleSets = [SeccompPolicy.rules]
        for size in [1, 5, 7, 13, 64, 300] {
            ruleSets.append((0..<size).map { _ in
                let nr = UInt32.random(in: 0..<500, using: &rng)
                let tests: [SeccompArgTest] = Bool.random(using: &rng) ? [] : [.equals(arg: Int.random(in: 0..<6, using: &rng), value: UInt32.random(in: 0..<4, using: &rng))]
                // Some rules fall through to the next one for their number.
                let otherwise: SeccompAction? = UInt8.random(in: 0..<3, using: &rng) == 0 ? nil : .allow
                return SeccompRule(nr: nr, tests: tests, action: .errno(UInt16.random(in: 1..<100, using: &rng)), otherwise: otherwise)
            })
        }
        for rules in ruleSets {
            let m = BPFMachine(program: SeccompCompiler.compile(arch: SeccompCompiler.auditArchX86_64, rules: rules))
            for nr in UInt32(0)..<600 {
                for _ in 0..<4 {
                    let args = (0..<6).map { _ in Bool.random(using: &rng) ? UInt64.random(in: 0..<4, using: &rng) : UInt64.random(in: 0...UInt64.max, using: &rng) }
                    let want = reference(rules, nr: nr, args: args)
                    guard m.run(nr: nr, args: args) == .verdict(want) else {
                        Issue.record("nr \(nr) args \(args): \(m.run(nr: nr, args: args)) != \(want) (\(rules.count) rules)")
                        return
                    }
                }
            }
        }
    }

    @Test func longRuleListsKeepJumpsLocal() {
        let rules = (0..<400).map { SeccompRule(nr: UInt32($0), tests: [.equals(arg: 0, value: 1)], action: .errno(1)) }
        let program = SeccompCompiler.compile(arch: SeccompCompiler.auditArchX86_64, rules: rules)
        let m = BPFMachine(program: program)
        #expect(m.run(nr: 399, args: [1]) == .verdict(eperm))
        #expect(m.run(nr: 399, args: [2]) == .verdict(allow))
        #expect(m.run(nr: 400) == .verdict(allow))
        #expect(SeccompCompiler.bytes(program).count == program.count * 8)
    }

    /// The per-process cached filter is exactly a fresh compilation (instructions and the bytes
    /// handed to the kernel), so caching cannot drift from the policy the tests above check.
    @Test func cachedFilterIsAFreshCompilation() {
        let fresh = SeccompPolicy.program()
        #expect(SeccompPolicy.compiled.instructions == fresh)
        #expect(SeccompPolicy.compiled.bytes == SeccompCompiler.bytes(fresh))
        let again = BPFMachine(program: SeccompPolicy.compiled.instructions)
        for (name, nr) in SeccompPolicy.denied {
            #expect(again.run(nr: nr) == .verdict(eperm), "\(name)")
        }
        #expect(again.run(nr: 0, arch: 0x4000_0003) == .verdict(kill))
    }
}
