import Dispatch
import Foundation
import WardenCore
import WardenEvents
import WardenHome
import WardenLedger
import WardenRuntime
import WardenSandbox
import WardenServer
import WardenTrust

/// `warden run`'s options as plain values, shared by the ArgumentParser command and the
/// fast path (`RunFastPath`), so both run exactly the same code.
struct RunOptions: Equatable {
    var home: String?
    var tool = ""
    var tenant = "default"
    var policy: String?
    var session: String?
    var approval: String?
    var stdin = false
    var events = false
    var json = false
    var arguments: [String] = []

    /// Run in this process even when `warden serve` answers on the home's socket.
    var local = false

    /// Runs the pipeline and prints the outcome; returns the exit status. When `warden serve`
    /// answers on the home's socket (and `--local` is not given), the server runs it: same
    /// stages, same checks, with the database, keys and ledger already open.
    func execute() async throws(WardenError) -> Int32 {
        let ref = try ToolReference.parse(tool)
        if !local, let reply = try RunClient.attempt(self) {
            RunReport.print(reply.rendered)
            return reply.status
        }
        let token = try approval.map { (a: String) throws(WardenError) -> String in
            guard a.hasPrefix("@") else { return a }
            return try readJWS(String(a.dropFirst()))
        }
        let cwd = FileManager.default.currentDirectoryPath
        // `open` and `close` join the pipeline's own stages in `stages_us`: what a one-shot
        // process pays around the pipeline (home, database, keys, ledger; sink drain, commit).
        let opened = DispatchTime.now().uptimeNanoseconds
        let env = try await RunEnvironment.open(home: home, recordOpening: false)
        let runner = Runner(home: env.home, db: env.db, ledger: env.ledger, node: env.node, emitter: env.emitter,
                            output: json ? nil : FileDescriptorOutput(), actor: Actor.current)
        let request = self.request(ref, token: token, workingDirectory: cwd, stdin: stdin ? .inherit(fd: 0) : .null)
        let started = DispatchTime.now().uptimeNanoseconds
        var outcome = runner.run(request)
        let finished = DispatchTime.now().uptimeNanoseconds
        env.close()
        let closed = DispatchTime.now().uptimeNanoseconds
        outcome.stageMillis.insert(("open", Double(started - opened) / 1e6), at: 0)
        outcome.stageMillis.append(("close", Double(closed - finished) / 1e6))
        RunReport.print(RunReport.render(outcome, json: json, events: events))
        return outcome.status
    }

    /// The pipeline's request for these options (shared with the server's `RunService`).
    func request(_ ref: ToolReference, token: String?, workingDirectory: String, stdin: SandboxSpec.StandardInput) -> RunRequest {
        var r = RunRequest(tool: ref, tenant: tenant, policyPath: policy, session: session, arguments: arguments,
                           approvalToken: token, workingDirectory: workingDirectory, stdin: stdin,
                           captureLimit: json ? 1 << 20 : 4096)
        r.eventWanted = json || events
        if let a = approval, a.hasPrefix("@") {
            let file = String(a.dropFirst())
            r.inputFiles = [file.hasPrefix("/") ? file : workingDirectory + "/" + file]
        }
        return r
    }
}

/// Who is asking, as recorded in the ledger.
enum Actor {
    /// `$WARDEN_ACTOR`, else `$USER`, else `uid:N` (read with getenv: the served fast path
    /// asks before Foundation has started).
    static var current: String {
        RunClient.environment("WARDEN_ACTOR") ?? RunClient.environment("USER") ?? "uid:\(getuid())"
    }
}
