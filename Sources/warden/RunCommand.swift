import ArgumentParser
import Foundation
import WardenCore

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a signed, authorized tool under policy, confined, recorded and emitted.",
        discussion: """
            Admit (signature, publisher key, expiry, artifact digest, tenant authorization) → Decide (policy) → \
            Confine (sandbox) → Record (ledger) → Emit (CloudEvents). Exits with the tool's status; 126 when \
            denied or awaiting approval, 127 when the tool is unknown, 124 on timeout, 128+N on signal N.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "NAME, NAME@VERSION, NAME@sha256:HEX or sha256:HEX.") var tool: String
    @Option(help: "Tenant the run is for.") var tenant = "default"
    @Option(help: "Policy file (default: the home's policies/<tenant>.yaml, else policies/default.yaml).") var policy: String?
    @Option(help: "Session id for the lethal-trifecta labels (default: the tenant's default session).") var session: String?
    @Option(help: "Approval token from `warden approve` (or @FILE to read it from a file).") var approval: String?
    @Flag(help: "Forward standard input to the tool (default: /dev/null).") var stdin = false
    @Flag(help: "Print the CloudEvent (JSON, one line) on stdout after the run.") var events = false
    @Flag(help: "Print a JSON report instead of streaming the tool's output.") var json = false
    @Flag(help: "Run in this process even when `warden serve` answers on the home's socket.") var local = false
    @Argument(parsing: .postTerminator, help: "Arguments for the tool, after --.") var arguments: [String] = []

    func run() async throws {
        let options = RunOptions(home: global.home, tool: tool, tenant: tenant, policy: policy, session: session,
                                 approval: approval, stdin: stdin, events: events, json: json, arguments: arguments, local: local)
        throw ExitCode(try await options.execute())
    }
}
