import WardenServer

extension RunCallMessage {
    /// The message for `options`, resolved by the client (see `RunCallMessage`).
    init(_ o: RunOptions, workingDirectory: String, actor: String) {
        self.init(tool: o.tool, tenant: o.tenant, policy: o.policy, session: o.session, approval: o.approval, stdin: o.stdin,
                  events: o.events, json: o.json, arguments: o.arguments, workingDirectory: workingDirectory, actor: actor)
    }

    /// The options the server runs (the approval is already the token).
    var options: RunOptions {
        RunOptions(home: nil, tool: tool, tenant: tenant, policy: policy, session: session, approval: approval, stdin: stdin,
                   events: events, json: json, arguments: arguments)
    }
}
