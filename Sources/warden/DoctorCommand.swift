import ArgumentParser
import Foundation
import WardenCore
import WardenSandbox

/// `warden doctor`: probe every sandbox primitive on this host and say what Warden will refuse.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Probe this host's isolation primitives (tries each one) and explain what is missing.")

    @Flag(name: .customLong("json"), help: "Print the probe results as JSON.")
    var json = false

    func run() throws {
        let report = Doctor.run()
        if json {
            Terminal.json(report.jsonValue)
        } else {
            print(report.text)
        }
        Foundation.exit(report.sandboxUsable ? 0 : WardenExit.denied)
    }
}
