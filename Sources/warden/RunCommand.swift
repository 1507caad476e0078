import ArgumentParser
import Foundation
import WardenCore
import WardenEvents
import WardenLedger
import WardenRuntime
import WardenSandbox
import WardenTrust

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
    @Argument(parsing: .postTerminator, help: "Arguments for the tool, after --.") var arguments: [String] = []

    func run() async throws {
        let ref = try ToolReference.parse(tool)
        let token = try approval.map { (a: String) throws(WardenError) -> String in
            guard a.hasPrefix("@") else { return a }
            return try readJWS(String(a.dropFirst()))
        }
        let (home, db) = try global.openDatabase()
        let homeConfig = try HomeConfig.load(home: home)
        let config = try LedgerConfig(config: homeConfig)
        let eventsConfig = try EventsConfig(config: homeConfig, homeRoot: home.root)
        let ledger = try await NodeLedger.open(home: home, db: db, recordOpening: false)
        let failures = LedgerFailureRecorder(ledger: ledger)
        let emitter = try EventEmitter(config: eventsConfig, onFailure: failures.handler)
        let runner = Runner(home: home, db: db, ledger: ledger, node: config.node, emitter: emitter,
                            output: json ? nil : FileDescriptorOutput(), actor: Actor.current)
        let request = RunRequest(tool: ref, tenant: tenant, policyPath: policy, session: session, arguments: arguments,
                                 approvalToken: token, stdin: stdin ? .inherit(fd: 0) : .null,
                                 captureLimit: json ? 1 << 20 : 4096)
        let outcome = await runner.run(request)
        // Sinks drain (bounded), their failures become ledger records, then the ledger closes.
        emitter.close()
        failures.flush()
        ledger.close()
        if json {
            Terminal.json(RunReport.json(outcome))
        } else {
            RunReport.printSummary(outcome)
            if events, let e = outcome.event { Terminal.json(e) }
        }
        throw ExitCode(outcome.status)
    }
}

/// Who is asking, as recorded in the ledger.
enum Actor {
    static var current: String {
        let env = ProcessInfo.processInfo.environment
        return env["WARDEN_ACTOR"] ?? env["USER"] ?? "uid:\(getuid())"
    }
}
