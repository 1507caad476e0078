import ArgumentParser
import Foundation
import WardenCore
import WardenNet
import WardenHome
import WardenPolicy

struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Validate policies and explain decisions.",
        subcommands: [Check.self, Explain.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate a policy file and print it normalized (every default filled in).")
        @Argument(help: "Policy file (YAML).") var file: String
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let p = try PolicyLoader.load(path: file)
            let normalized = PolicyJSON.encode(p)
            let notes = SelfProtectionNotes.notes(policy: p, file: file, home: SelfProtectionNotes.homePath(global.home))
            if json {
                Terminal.json(["ok": true, "file": .string(file), "policy": normalized, "notes": .array(notes.map(\.json))])
                return
            }
            for n in notes { Terminal.warn("note: \(n.text)") }
            print("ok: \(file): policy \"\(p.name)\" (version \(p.version))")
            guard case .object(let sections) = normalized else { return }
            for key in ["filesystem", "commands", "network", "limits", "budget", "window", "approvals", "exposure"] {
                guard case .object(let fields)? = sections[key] else { continue }
                for field in fields.keys.sorted() {
                    print("\(key).\(field): \(CanonicalJSON.string(fields[field] ?? .null))")
                }
            }
            if p.network.auditOnly {
                Terminal.warn("WARNING: network.mode: audit-only refuses nothing; every connection is let through and only logged. Never use it in production.")
            }
            if !p.approvals.requiredFor.isEmpty && p.approvals.approvers.isEmpty {
                Terminal.warn("note: approvals.required_for is set but approvals.approvers is empty: those requests can never be approved")
            }
        }
    }

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the decision for a command and the trace of every rule consulted, without running anything.",
            discussion: "Budget use and session labels are read from the home database. Exit status: 0 allow, 126 deny or approval required.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var request: PolicyRequestOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let d = try PolicyEvaluation(request, global).decision
            if json { Terminal.json(PolicyOutput.json(d)) } else { PolicyOutput.printText(d) }
            if !d.isAllowed { throw ExitCode(WardenExit.denied) }
        }
    }
}
