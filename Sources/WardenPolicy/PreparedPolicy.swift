/// A policy with its absolute trees and program rules resolved once against a host view.
/// Preparing does the filesystem lookups (PATH search, symlinks) so that each `decide` only
/// resolves the request's own program and paths.
public struct PreparedPolicy: Sendable {
    public let policy: Policy
    public let host: any HostView
    /// Canonical path of each `commands.allow` rule's program (nil: not found / not executable).
    let programs: [String?]
    /// Absolute policy trees resolved (relative `./` trees are resolved per request).
    let absoluteReadonly: [(String, NormalizedPath?)]
    let absoluteWritable: [(String, NormalizedPath?)]

    public init(_ policy: Policy, host: any HostView) {
        self.policy = policy
        self.host = host
        programs = policy.commands.allow.map { PreparedPolicy.resolveProgram($0.program, host: host)?.real }
        absoluteReadonly = policy.filesystem.readonly.filter { $0.hasPrefix("/") }.map { ($0, host.resolveForAccess($0)) }
        absoluteWritable = policy.filesystem.writable.filter { $0.hasPrefix("/") }.map { ($0, host.resolveForAccess($0)) }
    }

    /// Resolves a program name or path: a bare name is searched in the host PATH (first
    /// executable hit wins, as execvp does); a path is taken as is. Returns the path found
    /// and its canonical form; nil when nothing executable is there.
    static func resolveProgram(_ program: String, host: any HostView, cwd: String? = nil) -> (found: String, real: String)? {
        if program.contains("/") {
            var path = program
            if !program.hasPrefix("/") {
                guard let cwd else { return nil }
                path = cwd + "/" + program
            }
            guard let real = host.realPath(path), host.isExecutableFile(real) else { return nil }
            return (path, real)
        }
        for dir in host.searchPath {
            let candidate = dir + "/" + program
            if let real = host.realPath(candidate), host.isExecutableFile(real) { return (candidate, real) }
        }
        return nil
    }
}
