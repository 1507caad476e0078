/// A policy with its absolute trees and program rules resolved once against a host view.
/// Preparing does the filesystem lookups (PATH search, symlinks) so that each `decide` only
/// resolves the request's own program and paths.
public struct PreparedPolicy: Sendable {
    public let policy: Policy
    public let host: any HostView
    /// Canonical path of each `commands.allow` rule's program (nil: not found / not executable).
    let programs: [String?]
    /// Rule indices by program basename (bytes, compared exactly with the invoked name), in policy order: a decision consults only the
    /// rules naming the invoked program, so its cost does not grow with the rule count.
    let rulesByBasename: [[UInt8]: [Int]]
    /// Canonical paths of the programs allowed with any arguments that no deny glob covers, deduplicated and
    /// sorted by bytes (the candidates for the Landlock execute allowlist; trees are applied
    /// per request). Bytes, not `String` equality, which would merge NFC/NFD spellings.
    let allowedPrograms: [(String, NormalizedPath)]
    /// Absolute policy trees, canonical; nil when the tree does not exist (relative `./`
    /// trees are resolved per request).
    let absoluteReadonly: [Tree]
    let absoluteWritable: [Tree]
    /// The execute allowlist when every tree is absolute (then it is the same for every
    /// request); nil when `./` trees make it depend on the working directory.
    let fixedExecutables: [String]?

    /// Candidates inside a read-only tree and outside every writable tree.
    static func executables(_ candidates: [(String, NormalizedPath)], readonly: [NormalizedPath], writable: [NormalizedPath]) -> [String] {
        candidates.filter { p in readonly.contains(where: { p.1.isWithin($0) }) && !writable.contains(where: { p.1.isWithin($0) }) }.map(\.0)
    }

    /// A filesystem tree in lexical and canonical form (nil when missing), with the deny
    /// glob that covers it, if any.
    struct Tree: Sendable {
        let lexical: NormalizedPath?
        let real: NormalizedPath?
        let deniedBy: PathGlob?

        init(_ path: String, relativeTo base: NormalizedPath?, host: any HostView, deny: [PathGlob]) {
            lexical = base.map { NormalizedPath(path, relativeTo: $0) } ?? NormalizedPath(path)
            real = lexical.flatMap { host.realPath($0.description) }.flatMap { NormalizedPath($0) }
            if let lexical, let real { deniedBy = PathGlob.firstMatch(deny, lexical, real) } else { deniedBy = nil }
        }
    }

    public init(_ policy: Policy, host: any HostView) {
        self.policy = policy
        self.host = host
        programs = policy.commands.allow.map { PreparedPolicy.resolveProgram($0.program, host: host)?.real }
        var index: [[UInt8]: [Int]] = [:]
        for (i, rule) in policy.commands.allow.enumerated() { index[Array(InlineCode.basename(rule.program).utf8), default: []].append(i) }
        rulesByBasename = index
        // Only rules that allow any arguments feed the execute allowlist: the kernel cannot
        // see argv, so a structured rule's program is executable only as the request's own
        // program (added per decision), never by the tool's children.
        var unique: [[UInt8]: (String, NormalizedPath)] = [:]
        for (rule, program) in zip(policy.commands.allow, programs) where rule.args == nil {
            guard let p = program else { continue }
            guard let n = NormalizedPath(p), PathGlob.firstMatch(policy.filesystem.deny, n) == nil else { continue }
            unique[Array(p.utf8)] = (p, n)
        }
        allowedPrograms = unique.keys.sorted { $0.lexicographicallyPrecedes($1) }.compactMap { unique[$0] }
        let deny = policy.filesystem.deny
        absoluteReadonly = policy.filesystem.readonly.filter { $0.hasPrefix("/") }.map { Tree($0, relativeTo: nil, host: host, deny: deny) }
        absoluteWritable = policy.filesystem.writable.filter { $0.hasPrefix("/") }.map { Tree($0, relativeTo: nil, host: host, deny: deny) }
        if absoluteReadonly.count == policy.filesystem.readonly.count && absoluteWritable.count == policy.filesystem.writable.count {
            func usable(_ trees: [Tree]) -> [NormalizedPath] { trees.compactMap { $0.deniedBy == nil ? $0.real : nil } }
            fixedExecutables = Self.executables(allowedPrograms, readonly: usable(absoluteReadonly), writable: usable(absoluteWritable))
        } else {
            fixedExecutables = nil
        }
    }

    /// Resolves a program name or path: a bare name is searched in the host PATH (first
    /// executable hit wins, as execvp does); a path is taken as is. Returns the path found
    /// and its canonical form; nil when nothing executable is there.
    static func resolveProgram(_ program: String, host: any HostView, cwd: String? = nil) -> (found: String, real: String)? {
        if program.utf8.contains(UInt8(ascii: "/")) {
            var path = program
            if program.utf8.first != UInt8(ascii: "/") {
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
