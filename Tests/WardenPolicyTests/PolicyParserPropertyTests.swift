import Foundation
import Testing
import WardenTestSupport
import WardenCore
@testable import WardenPolicy

@Suite struct PolicyParserPropertyTests {
    /// Random valid policies survive YAML rendering and parsing unchanged.
    @Test func generatedPoliciesRoundTrip() throws {
        var rng = SplitMix64(state: 0x5EED)
        let dirs = ["/usr", "/lib", "/etc/ssl", "/opt/a b", "/srv/data", "./ws", "./out/x", "/home/ünï"]
        let programs = ["git", "ls", "python3", "/usr/bin/env", "make", "cargo", "/opt/tool/bin/x"]
        let argPool = ["-m", "pytest", "*", "--", "x y", "'quoted'", "\"dq\"", "é", "#hash", ": colon", "-c"]
        for round in 0..<300 {
            var expected = Policy(name: "p\(round)")
            var lines = ["version: 1", "name: \(yamlString(expected.name))"]
            expected.filesystem.readonly = Array(dirs.shuffled(using: &rng).prefix(Int.random(in: 0...3, using: &rng)))
            expected.filesystem.writable = Array(dirs.shuffled(using: &rng).prefix(Int.random(in: 0...2, using: &rng)))
            expected.filesystem.deny = try ["**/.ssh/**", "**/.env", "/home/*/.aws/**"].prefix(Int.random(in: 0...3, using: &rng)).map { try PathGlob($0) }
            lines.append("filesystem: {readonly: \(list(expected.filesystem.readonly)), writable: \(list(expected.filesystem.writable)), deny: \(list(expected.filesystem.deny.map(\.pattern)))}")
            var ruleTexts: [String] = []
            for i in 0..<Int.random(in: 0...6, using: &rng) {
                let prog = programs.randomElement(using: &rng)!
                if Bool.random(using: &rng) {
                    expected.commands.allow.append(CommandRule(program: prog, args: nil, index: i + 1))
                    ruleTexts.append(yamlString(prog))
                } else {
                    var args = (0..<Int.random(in: 0...3, using: &rng)).map { _ in argPool.randomElement(using: &rng)! }
                    if Bool.random(using: &rng) { args.append("...") }
                    let pats: [ArgPattern] = args.map { $0 == "*" ? .one : $0 == "..." ? .rest : .exact($0) }
                    expected.commands.allow.append(CommandRule(program: prog, args: pats, index: i + 1))
                    ruleTexts.append("{program: \(yamlString(prog)), args: \(list(args))}")
                }
            }
            expected.commands.denyInlineCode = Bool.random(using: &rng)
            lines.append("commands: {allow: [\(ruleTexts.joined(separator: ", "))], deny_inline_code: \(expected.commands.denyInlineCode)}")
            expected.limits = ResourceLimits(wallSeconds: .random(in: 1...86_400, using: &rng), cpuSeconds: .random(in: 1...86_400, using: &rng),
                                             memoryMB: .random(in: 1...1 << 20, using: &rng), pids: .random(in: 1...65_536, using: &rng),
                                             outputBytes: .random(in: 0...1 << 34, using: &rng))
            lines.append("limits: {wall_seconds: \(expected.limits.wallSeconds), cpu_seconds: \(expected.limits.cpuSeconds), memory_mb: \(expected.limits.memoryMB), pids: \(expected.limits.pids), output_bytes: \(expected.limits.outputBytes)}")
            expected.budget.executions = .random(in: 0...BudgetRules.maximum, using: &rng)
            expected.budget.cpuSeconds = .random(in: 0...BudgetRules.maximum, using: &rng)
            lines.append("budget:\n  executions: \(expected.budget.executions)\n  cpu_seconds: \(expected.budget.cpuSeconds)")
            expected.approvals.ttlSeconds = .random(in: 1...86_400, using: &rng)
            expected.approvals.requiredFor = Array(Operation.allCases.shuffled(using: &rng).prefix(Int.random(in: 0...4, using: &rng))).sorted()
            lines.append("approvals: {ttl_seconds: \(expected.approvals.ttlSeconds), required_for: \(list(expected.approvals.requiredFor.map(\.rawValue))), approvers: [k1]}")
            expected.approvals.approvers = ["k1"]
            let parsed = try PolicyLoader.parse(lines.joined(separator: "\n") + "\n", file: "gen.yaml")
            #expect(parsed == expected, "round \(round):\n\(lines.joined(separator: "\n"))")
        }
    }

    func yamlString(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    func list(_ items: [String]) -> String { "[" + items.map(yamlString).joined(separator: ", ") + "]" }

    /// Random mutations of a valid policy never crash the loader: each either parses or
    /// fails with a one-line usage error naming the file.
    @Test func mutatedDocumentsFailCleanly() {
        var rng = SplitMix64(state: 0xF022)
        let base = Array(Fixtures.policyYAML.utf8)
        let alphabet = Array("{}[]:,-*&!|>'\"#%@`\\\n\t ?.~0123456789abcxyz/".utf8) + [0xC3, 0xA9, 0x00, 0xFF]
        var parsed = 0, rejected = 0
        for round in 0..<3000 {
            var doc = base
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let pos = Int.random(in: 0...doc.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: doc.insert(alphabet.randomElement(using: &rng)!, at: pos)
                case 1: if pos < doc.count { doc.remove(at: pos) }
                default: if pos < doc.count { doc[pos] = alphabet.randomElement(using: &rng)! }
                }
            }
            let text = String(decoding: doc, as: UTF8.self)
            do {
                _ = try PolicyLoader.parse(text, file: "m.yaml")
                parsed += 1
            } catch {
                rejected += 1
                #expect(error.category == .usage, "round \(round)")
                #expect(error.message.hasPrefix("m.yaml"), "round \(round): \(error.message)")
                #expect(!error.message.contains("\n"), "round \(round): \(error.message)")
            }
        }
        #expect(parsed > 0 && rejected > 0)
    }

    /// Lexical normalization is idempotent, absolute, and free of `.`/`..`/empty segments.
    @Test func normalizationProperties() {
        var rng = SplitMix64(state: 0xA11)
        let parts = ["a", "b", "..", ".", "", "..."," c", "é", ".ssh"]
        for _ in 0..<2000 {
            let raw = "/" + (0..<Int.random(in: 0...8, using: &rng)).map { _ in parts.randomElement(using: &rng)! }.joined(separator: "/")
            guard let n = NormalizedPath(raw) else { Issue.record("\(raw) rejected"); continue }
            #expect(NormalizedPath(n.description) == n)
            #expect(!n.segments.contains { $0.isEmpty || $0 == Array(".".utf8) || $0 == Array("..".utf8) })
            // `**/.ssh/**` matches exactly the paths with a .ssh segment.
            let g = try! PathGlob("**/.ssh/**")
            #expect(g.matches(n) == n.segments.contains(Array(".ssh".utf8)), "\(raw)")
        }
    }
}
