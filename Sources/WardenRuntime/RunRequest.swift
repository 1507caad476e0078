import Foundation
import WardenSandbox
import WardenTrust

/// One `warden run`: which tool, for whom, under which policy, with what arguments.
public struct RunRequest: Sendable {
    public var tool: ToolReference
    public var tenant: String
    /// A policy file; nil uses the home's `policies/<tenant>.yaml`, else `policies/default.yaml`.
    public var policyPath: String?
    public var session: String?
    /// Arguments appended to the manifest's entrypoint.
    public var arguments: [String]
    /// An approval token from `warden approve`, when the request needed one.
    public var approvalToken: String?
    /// Host directory the run works in; the policy's `./` trees are relative to it.
    public var workingDirectory: String
    public var stdin: SandboxSpec.StandardInput
    /// Bytes of stdout/stderr kept for the ledger and the CloudEvent.
    public var captureLimit: Int
    /// A server's connection to its client: when it becomes readable or hangs up, the client
    /// is gone and the sandbox is killed (`Sandbox.run`'s `cancelWhenReadable`).
    public var cancelWhenReadable: Int32?
    /// Whether the caller needs the outcome's CloudEvent (`--events`, `--json`). With no sink
    /// configured and nobody asking, none is built: the ledger records the run either way.
    public var eventWanted = true
    /// Files the request's values were read from (`--approval @FILE`): never visible to the
    /// tool, and refused when a writable tree of the run contains one.
    public var inputFiles: [String] = []

    public init(tool: ToolReference, tenant: String, policyPath: String? = nil, session: String? = nil,
                arguments: [String] = [], approvalToken: String? = nil,
                workingDirectory: String = FileManager.default.currentDirectoryPath,
                stdin: SandboxSpec.StandardInput = .null, captureLimit: Int = 4096) {
        self.tool = tool
        self.tenant = tenant
        self.policyPath = policyPath
        self.session = session
        self.arguments = arguments
        self.approvalToken = approvalToken
        self.workingDirectory = workingDirectory
        self.stdin = stdin
        self.captureLimit = captureLimit
    }
}
