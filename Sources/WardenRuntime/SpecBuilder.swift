import WardenCore
import WardenPolicy
import WardenSandbox

/// Maps an allowed decision's `Confinement` (deny-glob matches already expanded into
/// `maskedPaths` by the policy gate) and the admitted tool onto a `SandboxSpec`. Pure.
public enum SpecBuilder {
    /// The admitted artifact: its sealed, verified copy (`VerifiedArtifact.fd`), and where the
    /// tool sees it.
    public struct ToolMount: Sendable, Equatable {
        public var artifactFD: Int32
        public var sandboxPath: String
        public init(artifactFD: Int32, sandboxPath: String) {
            self.artifactFD = artifactFD
            self.sandboxPath = sandboxPath
        }
    }

    /// The sandbox for one allowed run. Every tree the policy allows is mounted at its own
    /// path (read-only or writable), the artifact's verified bytes read-only at `/tool/<name>`, and only the
    /// policy's executables plus the artifact may be executed.
    /// `hidden` are Warden's own host paths (home, policy file, approval file): no sandbox sees them.
    public static func spec(_ c: Confinement, tool: ToolMount,
                            environment: [String: String] = [:],
                            stdin: SandboxSpec.StandardInput = .null, hidden: [String] = [],
                            resolvers: [SandboxSpec.Resolver] = [], executableMemory: Bool = false) throws(WardenError) -> SandboxSpec {
        // The decision's effective grant (manifest ∩ policy) is all the run's network may reach.
        var network = SandboxSpec.NetworkMode.none
        var egress: SandboxSpec.Egress?
        if case .egress(let grant) = c.network {
            network = .egress
            egress = SandboxSpec.Egress(grant: grant, resolvers: resolvers)
        }
        // The artifact is copied from its sealed memfd, below; every other tree is the host's own.
        var mounts: [SandboxSpec.Mount] = c.readonly.filter { $0 != tool.sandboxPath }.map { .readOnly(source: $0, destination: $0) }
        mounts += c.writable.map { .readWrite(source: $0, destination: $0) }
        mounts.append(.sealedFile(fd: tool.artifactFD, destination: tool.sandboxPath))
        var allowExec = c.executables
        if !allowExec.contains(tool.sandboxPath) { allowExec.append(tool.sandboxPath) }
        let l = c.limits
        let limits = SandboxSpec.Limits(
            wallSeconds: Double(l.wallSeconds), cpuSeconds: Int(l.cpuSeconds), memoryMB: Int(l.memoryMB),
            pids: Int(l.pids), outputBytes: Int(l.outputBytes))
        var spec = SandboxSpec(
            command: c.executable, arguments: Array(c.argv.dropFirst()), mounts: mounts, systemMounts: true,
            allowExec: allowExec, maskedPaths: c.maskedPaths, cwd: c.workingDirectory, environment: environment,
            limits: limits, network: network, stdin: stdin, unixSockets: c.unixSockets, hiddenHostPaths: hidden,
            protectedNames: c.protectedNames, readOnlyPaths: c.readOnlyPaths, allowSystemWrites: c.allowSystemWrites,
            egress: egress)
        // Only for an artifact whose declared executable stack or text relocations the
        // policy admitted (NativeAdmission).
        spec.executableMemory = executableMemory
        spec.allowLoad = c.libraries
        return spec
    }
}
