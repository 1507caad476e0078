import ArgumentParser
import Foundation
import WardenCore
import WardenPolicy
import WardenSandbox

/// `warden doctor`: probe every sandbox primitive on this host and say what Warden will refuse.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Probe this host's isolation primitives (tries each one) and explain what is missing.")

    @Flag(name: .customLong("json"), help: "Print the probe results as JSON.")
    var json = false
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let report = Doctor.run()
        let protection = selfProtection()
        if json {
            guard case .object(var o) = report.jsonValue else { return }
            o["self_protection"] = protection.json
            Terminal.json(.object(o))
        } else {
            // Details quote host paths and kernel messages: escaped line by line.
            for line in report.text.split(separator: "\n", omittingEmptySubsequences: false) { print(DisplayText.escape(String(line), limit: 2000)) }
            for line in protection.lines { print(DisplayText.escape(line, limit: 2000)) }
        }
        Foundation.exit(report.sandboxUsable ? 0 : WardenExit.denied)
    }
}

extension DoctorCommand {
    /// Where the home is, that no sandbox sees it, and what the home's own policies say about it.
    func selfProtection() -> (lines: [String], json: JSONValue) {
        let home = SelfProtectionNotes.homePath(global.home)
        var lines = ["ok      self_protection.home: \(home) is masked in every sandbox whose trees contain it; a tree inside it is refused"]
        var notes: [JSONValue] = []
        let dir = home + "/policies"
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() where name.hasSuffix(".yaml") {
            let file = dir + "/" + name
            guard let p = try? PolicyLoader.load(path: file) else { continue }
            for n in SelfProtectionNotes.notes(policy: p, file: file, home: home) {
                lines.append("\(n.refused ? "refuses" : "note   ") self_protection.policy \(name): \(n.text)")
                notes.append(["policy": .string(file), "note": .string(n.text), "refuses_runs": .bool(n.refused)])
            }
        }
        return (lines, ["home": .string(home), "policy_notes": .array(notes)])
    }
}
