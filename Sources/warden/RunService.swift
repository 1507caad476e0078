import WardenCore
import WardenRuntime
import WardenSandbox
import WardenServer
import WardenTrust

/// What `warden serve` does with one `warden run` request: the same `Runner` pipeline as a
/// local run, on the server's open database and ledger, with the tool's output streamed to
/// the client's own descriptors and the run killed if the client goes away.
struct RunService: Sendable {
    let env: RunEnvironment
    let caches = RunCaches()

    func handle(_ r: LocalServer.Request) -> JSONValue {
        do throws(WardenError) {
            let call = try RunCallMessage(message: r.message)
            let o = call.options
            guard r.descriptors.count == call.descriptorCount else {
                throw .usage("serve.bad_request", "expected \(call.descriptorCount) file descriptors (stdout, stderr\(o.stdin ? ", stdin" : "")), got \(r.descriptors.count)")
            }
            let ref = try ToolReference.parse(o.tool)
            let runner = Runner(home: env.home, db: env.db, ledger: env.ledger, node: env.node, emitter: env.emitter,
                                output: o.json ? nil : FileDescriptorOutput(stdout: r.descriptors[0], stderr: r.descriptors[1]),
                                actor: call.actor, caches: caches)
            var request = o.request(ref, token: call.approval, workingDirectory: call.workingDirectory,
                                    stdin: o.stdin ? .inherit(fd: r.descriptors[2]) : .null)
            request.cancelWhenReadable = r.connection
            if let f = call.approvalFile { request.inputFiles = [f] }
            let outcome = runner.run(request)
            log(r.peer, call, outcome)
            let rendered = RunReport.render(outcome, json: o.json, events: o.events, served: true)
            return ["status": .int(Int64(outcome.status)), "stdout": .string(rendered.stdout), "stderr": .string(rendered.stderr)]
        } catch {
            Terminal.warn("pid \(r.peer.pid) uid \(r.peer.uid): refused: \(error.message) [\(error.code)]")
            return LocalServer.refusal(error)
        }
    }

    /// One line per run on the server's stderr, for its operator (the ledger has the detail).
    private func log(_ peer: UnixSocket.Peer, _ call: RunCallMessage, _ o: RunOutcome) {
        let seqs = o.auditSeqs.map(String.init).joined(separator: ",")
        Terminal.warn("pid \(peer.pid) uid \(peer.uid): run \(o.executionID) \(call.tool) tenant=\(call.tenant) \(o.verdict.rawValue) status \(o.status) (audit seq \(seqs))")
    }
}
