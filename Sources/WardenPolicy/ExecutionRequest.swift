import Crypto
import WardenCore
import WardenNet

/// What a caller asks to run, as the policy sees it. Built by `warden run` (from the tool
/// manifest and flags) or by `warden policy explain`.
public struct ExecutionRequest: Sendable, Hashable {
    /// A path the request names, and whether it will be written.
    public struct PathAccess: Sendable, Hashable {
        public var path: String
        public var write: Bool
        public init(_ path: String, write: Bool = false) {
            self.path = path
            self.write = write
        }
    }

    public var tenant: String
    /// Session for trifecta labels and max duration; `nil` means the tenant's default session.
    public var session: String?
    /// The command line; argv[0] is a bare name (resolved against the sandbox PATH) or a path.
    public var argv: [String]
    /// Absolute working directory inside the sandbox; `./` policy trees are relative to it.
    public var workingDirectory: String
    /// Every path the request names (inputs, outputs, mounts).
    public var paths: [PathAccess]
    /// Limits the caller asks for; nil takes the policy's. Each must be ≤ the policy's.
    public var limits: ResourceLimits?
    /// Egress the request asks for.
    public var egress: [EgressRule]
    /// Exposure labels from the tool manifest's declared requirements.
    public var exposure: ExposureLabels
    /// Tool identity (e.g. `name@version` or artifact digest), bound into the request id.
    public var tool: String?

    public init(tenant: String, session: String? = nil, argv: [String], workingDirectory: String,
                paths: [PathAccess] = [], limits: ResourceLimits? = nil, egress: [EgressRule] = [],
                exposure: ExposureLabels = [], tool: String? = nil) {
        self.tenant = tenant
        self.session = session
        self.argv = argv
        self.workingDirectory = workingDirectory
        self.paths = paths
        self.limits = limits
        self.egress = egress
        self.exposure = exposure
        self.tool = tool
    }

    /// The session id actually used: the explicit one or `default`.
    public var sessionID: String { session ?? "default" }

    /// The canonical form of the request under `policyName`: what the request id hashes.
    public func canonical(policyName: String) -> JSONValue {
        var o: [String: JSONValue] = [
            "v": 1,
            "policy": .string(policyName),
            "tenant": .string(tenant),
            "session": .string(sessionID),
            "argv": .array(argv.map { .string($0) }),
            "cwd": .string(workingDirectory),
            "paths": .array(paths.map { .object(["path": .string($0.path), "write": .bool($0.write)]) }),
            "egress": .array(egress.map { .string($0.description) }),
            "exposure": .array(exposure.names.map { .string($0) }),
        ]
        if let limits {
            o["limits"] = .object(zip(ResourceLimits.fieldNames, limits.asArray).reduce(into: [:]) { $0[$1.0] = .int($1.1) })
        }
        if let tool { o["tool"] = .string(tool) }
        return .object(o)
    }

    /// The request id: `sha256:<hex>` of the canonical request. Approvals bind to it.
    public func id(policyName: String) -> String {
        "sha256:" + Hex.encode(SHA256.hash(data: CanonicalJSON.encode(canonical(policyName: policyName))))
    }
}
