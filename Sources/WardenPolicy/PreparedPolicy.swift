/// A policy with its absolute trees and program rules resolved once against a host view.
/// Preparing does the filesystem lookups (PATH search, symlinks) so that each `decide` only
/// resolves the request's own program and paths.
public struct PreparedPolicy: Sendable {
    public let policy: Policy
    public let host: any HostView
    /// Canonical path of each `commands.allow` rule's program (nil: not found / not executable).
    let programs: [String?]
    /// Basename of each rule's program (compared byte for byte with the invoked name).
    let basenames: [String]
    /// Canonical paths of the allowed programs that no deny glob covers, deduplicated and
    /// sorted by bytes (the candidates for the Landlock execute allowlist; trees are applied
    /// per request). Bytes, not `String` equality, which would merge NFC/NFD spellings.
    let allowedPrograms: [(String, NormalizedPath)]
    /// Absolute policy trees, canonical; nil when the tree does not exist (relative `./`
    /// trees are resolved per request).
    let absoluteReadonly: [(String, NormalizedPath?)]
    let absoluteWritable: [(String, NormalizedPath?)]

    public init(_ policy: Policy, host: any HostView) {
        self.policy = policy
        self.host = host
        programs = policy.commands.allow.map { PreparedPolicy.resolveProgram($0.program, host: host)?.real }
        basenames = policy.commands.allow.map { InlineCode.basename($0.program) }
        var unique: [[UInt8]: (String, NormalizedPath)] = [:]
        for case let p? in programs {
            guard let n = NormalizedPath(p), PathGlob.firstMatch(policy.filesystem.deny, n) == nil else { continue }
            unique[Array(p.utf8)] = (p, n)
        }
        allowedPrograms = unique.keys.sorted { $0.lexicographicallyPrecedes($1) }.compactMap { unique[$0] }
        absoluteReadonly = policy.filesystem.readonly.filter { $0.hasPrefix("/") }.map { ($0, host.realPath($0).flatMap { NormalizedPath($0) }) }
        absoluteWritable = policy.filesystem.writable.filter { $0.hasPrefix("/") }.map { ($0, host.realPath($0).flatMap { NormalizedPath($0) }) }
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
