import WardenCore

/// `warden run` as a message to `warden serve`. The client resolves everything that depends
/// on where and as whom it runs (its directory, a relative `--policy`, an `@FILE` approval
/// token, the actor) before sending, so the server runs exactly the request the client would
/// have run itself. Parsing is strict: every field required and typed, unknown fields refused.
public struct RunCallMessage: Equatable, Sendable {
    public static let version: Int64 = 1

    public var tool: String
    public var tenant: String
    /// Absolute, or nil for the home's default policy.
    public var policy: String?
    public var session: String?
    /// The token itself (never `@FILE`).
    public var approval: String?
    /// The absolute path the token was read from (`--approval @FILE`), or nil: the server keeps
    /// it out of the sandbox and refuses a run whose writable trees contain it.
    public var approvalFile: String?
    public var stdin: Bool
    public var events: Bool
    public var json: Bool
    public var arguments: [String]
    /// The client's working directory (the policy's `./` trees are relative to it).
    public var workingDirectory: String
    public var actor: String

    public init(tool: String, tenant: String, policy: String?, session: String?, approval: String?, stdin: Bool,
                events: Bool, json: Bool, arguments: [String], workingDirectory: String, actor: String) {
        self.tool = tool
        self.tenant = tenant
        self.policy = policy
        self.session = session
        self.approval = approval
        self.stdin = stdin
        self.events = events
        self.json = json
        self.arguments = arguments
        self.workingDirectory = workingDirectory
        self.actor = actor
    }

    /// How many descriptors travel with the message: stdout, stderr, and stdin with `stdin`.
    public var descriptorCount: Int { stdin ? 3 : 2 }

    public var message: JSONValue {
        func optional(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
        return ["v": .int(Self.version), "op": "run", "tool": .string(tool), "tenant": .string(tenant),
                "policy": optional(policy), "session": optional(session), "approval": optional(approval),
                "stdin": .bool(stdin), "events": .bool(events), "json": .bool(json),
                "arguments": .array(arguments.map { .string($0) }), "cwd": .string(workingDirectory), "actor": .string(actor),
                "approval_file": optional(approvalFile)]
    }

    public init(message m: [String: JSONValue]) throws(WardenError) {
        let known: Set<String> = ["v", "op", "tool", "tenant", "policy", "session", "approval", "stdin", "events", "json",
                                  "arguments", "cwd", "actor", "approval_file"]
        if let extra = m.keys.sorted().first(where: { !known.contains($0) }) {
            throw .usage("serve.bad_request", "request field \"\(extra.prefix(64))\" is not known")
        }
        guard m["v"]?.intValue == Self.version else {
            let got = m["v"].map { CanonicalJSON.string($0).prefix(32) } ?? "missing"
            throw .usage("serve.version", "request version \(got); this server speaks \(Self.version): run the same warden binary as the server")
        }
        guard m["op"]?.stringValue == "run" else { throw .usage("serve.bad_request", "request field \"op\" must be \"run\"") }
        func string(_ k: String) throws(WardenError) -> String {
            guard let v = m[k]?.stringValue else { throw .usage("serve.bad_request", "request field \"\(k)\" must be a string") }
            return v
        }
        func optional(_ k: String) throws(WardenError) -> String? {
            switch m[k] {
            case .null?: return nil
            case .string(let v)?: return v
            default: throw .usage("serve.bad_request", "request field \"\(k)\" must be a string or null")
            }
        }
        func flag(_ k: String) throws(WardenError) -> Bool {
            guard let v = m[k]?.boolValue else { throw .usage("serve.bad_request", "request field \"\(k)\" must be true or false") }
            return v
        }
        guard let args = m["arguments"]?.arrayValue else { throw .usage("serve.bad_request", "request field \"arguments\" must be an array") }
        var arguments: [String] = []
        for a in args {
            guard let s = a.stringValue else { throw .usage("serve.bad_request", "request field \"arguments\" must hold strings") }
            arguments.append(s)
        }
        let cwd = try string("cwd")
        guard cwd.hasPrefix("/") else { throw .usage("serve.bad_request", "request field \"cwd\" must be an absolute path") }
        let policy = try optional("policy")
        if let p = policy, !p.hasPrefix("/") {
            throw .usage("serve.bad_request", "request field \"policy\" must be an absolute path")
        }
        self.init(tool: try string("tool"), tenant: try string("tenant"), policy: policy, session: try optional("session"),
                  approval: try optional("approval"), stdin: try flag("stdin"), events: try flag("events"), json: try flag("json"),
                  arguments: arguments, workingDirectory: cwd, actor: try string("actor"))
        let file = m["approval_file"] == nil ? nil : try optional("approval_file")
        if let f = file, !f.hasPrefix("/") {
            throw .usage("serve.bad_request", "request field \"approval_file\" must be an absolute path")
        }
        approvalFile = file
    }
}
