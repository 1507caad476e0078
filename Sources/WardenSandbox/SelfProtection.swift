#if canImport(Glibc)
import Glibc
#endif
import WardenCore

/// A host directory created for one run so that an absent protected entry can be masked: the
/// kernel can only mount over something that exists (`Placeholders` creates and removes it).
public struct Placeholder: Sendable, Equatable {
    public let path: String
    public let uid: UInt32
    public let gid: UInt32
}

/// "Nothing the tool does can change what Warden trusts": the planner's part. Warden's own
/// files (`SandboxSpec.hiddenHostPaths`) never reach a sandbox, and inside every writable tree
/// the entries other programs run or trust stay read-only (`ProtectedNames`, `.git/config`'s
/// targets, `readOnlyPaths`); writable system trees are refused (`SystemTrees`). Everything
/// is compared on real paths and filesystem locations (`HostAliases`), never on spelling.
extension MountPlan {
    /// Plans the masks and read-only rebinds; returns the sandbox paths to mask (handled with
    /// the spec's own masked paths).
    mutating func protect(_ spec: SandboxSpec, fs: HostFileSystem, kernel: inout KernelMountGuard) throws(WardenError) -> [String] {
        let writable = binds.filter(\.writable)
        guard !binds.isEmpty, !spec.hiddenHostPaths.isEmpty || !writable.isEmpty else { return [] }
        let table = try kernel.entries()
        var masks = try hide(spec.hiddenHostPaths, fs: fs, table: table)
        if !writable.isEmpty {
            masks += try guardWritable(spec, fs: fs, table: table)
        }
        var seen = Set<String>()
        return masks.filter { seen.insert($0).inserted }
    }

    /// Masks every hidden path a bind contains; refuses a bind of (or inside) one.
    private func hide(_ hidden: [String], fs: HostFileSystem, table: [KernelMounts.Entry]) throws(WardenError) -> [String] {
        var masks: [String] = []
        for h in hidden {
            guard let real = fs.resolved(h) else { continue }   // absent: nothing to see
            let aliases = HostAliases.aliases(of: real, in: table)
            let loc = HostAliases.location(of: real, in: table)
            for b in binds {
                let srcLoc = HostAliases.location(of: b.source, in: table)
                let inside = aliases.contains { SandboxPath.isWithin(b.source, $0) }
                    || (srcLoc != nil && loc != nil && srcLoc!.isWithin(loc!))
                if inside {
                    throw .denied("sandbox.mount_source_protected",
                                  "mount source '\(b.source)' is \(b.source == real ? "" : "inside ")Warden's own '\(real)' (home, key or policy file): no sandbox may see it; bind a directory that does not lie inside it")
                }
                for a in aliases where SandboxPath.isWithin(a, b.source) {
                    masks.append(HostAliases.join(b.destination, HostAliases.below(a, b.source)))
                }
                if let srcLoc, let loc, loc.isWithin(srcLoc) {
                    masks.append(HostAliases.join(b.destination, HostAliases.below(loc.path, srcLoc.path)))
                }
            }
        }
        return masks
    }

    /// System trees, protected entries and git's own targets in every writable tree.
    private mutating func guardWritable(_ spec: SandboxSpec, fs: HostFileSystem, table: [KernelMounts.Entry]) throws(WardenError) -> [String] {
        let me = UInt32(geteuid())
        let homes = fs.userHomes().compactMap { h -> (uid: UInt32, path: String)? in
            fs.resolved(h.path).map { (h.uid, $0) }
        }
        let otherHomes = homes.filter { $0.uid != me && $0.path != "/" }.map(\.path)
        let homePaths = Set(homes.map(\.path))
        var masks: [String] = []
        let writable = binds.filter(\.writable)
        for b in writable {
            if let why = SystemTrees.reason(b.source, otherHomes: otherHomes, table: table, resolve: fs.resolved) {
                guard spec.allowSystemWrites else {
                    throw .denied("sandbox.system_write",
                                  "writable tree '\(b.source)' \(why): a tool would act as its owner there; refused unless system writes are allowed explicitly (--allow-system-writes, filesystem.allow_system_writes: true)")
                }
                if !systemWrites.contains(b.source) { systemWrites.append(b.source) }
            }
            try refuseInsideProtected(b.source, names: spec.protectedNames, homes: homePaths)
        }
        for b in writable {
            let isHome = homePaths.contains(b.source)
            for name in spec.protectedNames where isHome || !ProtectedNames.homeOnly(name) {
                masks += try protectEntry(name, in: b, mask: true, fs: fs)
            }
            if spec.protectedNames.contains(".git") {
                masks += try protectGitTargets(of: b, writable: writable, fs: fs)
            }
        }
        for p in spec.readOnlyPaths {
            guard let b = writable.last(where: { SandboxPath.isWithin(p, $0.destination) }), p != b.destination else { continue }
            masks += try protectEntry(HostAliases.below(p, b.destination), in: b, mask: false, fs: fs)
        }
        return masks
    }

    /// A writable tree that is itself a protected entry, or lies inside one (`/srv/p/.git`,
    /// `~/.ssh`): the protection would mean nothing, so it is refused unless unprotected.
    private func refuseInsideProtected(_ tree: String, names: [String], homes: Set<String>) throws(WardenError) {
        let parts = tree.split(separator: "/").map(String.init)
        for name in names {
            let nameParts = name.split(separator: "/").map(String.init)
            guard nameParts.count <= parts.count else { continue }
            for start in 0...(parts.count - nameParts.count) where Array(parts[start..<start + nameParts.count]) == nameParts {
                let parent = "/" + parts[0..<start].joined(separator: "/")
                if ProtectedNames.homeOnly(name) && !homes.contains(parent) { continue }
                throw .denied("sandbox.tree_protected",
                              "writable tree '\(tree)' lies inside the protected entry '\(name)' of '\(parent)': unprotect '\(name)' explicitly (--unprotect \(name), filesystem.unprotect) to make it writable")
            }
        }
    }

    /// Keeps `rel` (relative to the tree) read-only where it exists; where it does not and
    /// `mask` is set, masks its first absent component over a placeholder.
    private mutating func protectEntry(_ rel: String, in b: (source: String, destination: String, writable: Bool), mask: Bool,
                                       fs: HostFileSystem) throws(WardenError) -> [String] {
        var host = b.source, sandbox = b.destination
        let parts = rel.split(separator: "/").map(String.init)
        for (i, part) in parts.enumerated() {
            host = HostAliases.join(host, part)
            sandbox = HostAliases.join(sandbox, part)
            let last = i == parts.count - 1
            switch fs.kind(of: host) {
            case .directory where fs.placeholderShaped(host):
                return placeholder(host, sandbox, tree: b.source, fs: fs)
            case .directory where !last:
                continue
            case .directory, .file, .other:
                guard last else { return [] }   // a file where a directory was expected: nothing below it
                if !protected.contains(sandbox) {
                    ops.append(.rebindReadOnly(sandbox))
                    protected.append(sandbox)
                }
                return []
            case .symlink:
                throw .denied("sandbox.protected_symlink",
                              "'\(host)' is a symlink inside the writable tree '\(b.source)': the protected entry '\(rel)' must be a real file or directory, since Warden cannot keep a symlink's target read-only; remove the link or unprotect '\(parts[0])'")
            case .missing:
                return mask ? placeholder(host, sandbox, tree: b.source, fs: fs) : []
            }
        }
        return []
    }

    /// An absent protected entry: a placeholder directory on the host, masked in the sandbox
    /// (an empty, read-only tmpfs: it cannot be created, written, renamed or removed; readable, so git and editors inside see an empty directory rather than an error).
    private mutating func placeholder(_ host: String, _ sandbox: String, tree: String, fs: HostFileSystem) -> [String] {
        guard !placeholders.contains(where: { $0.path == host }) else { return [] }
        // Rootless, the tool has the caller's own access: where Warden cannot create the entry,
        // neither can the tool, and nothing needs masking. As root this is always true.
        guard fs.canCreateEntries(in: SandboxPath.parent(host)) else { return [] }
        let owner = fs.owner(of: tree) ?? (0, 0)
        placeholders.append(Placeholder(path: host, uid: owner.uid, gid: owner.gid))
        protected.append(sandbox)
        ops.append(.tmpfs(sandbox, options: "mode=0555,size=4k"))
        ops.append(.readOnly(sandbox))
        return []
    }

    /// What `.git/config` (and the files it includes) names inside any writable tree.
    private mutating func protectGitTargets(of b: (source: String, destination: String, writable: Bool),
                                            writable: [(source: String, destination: String, writable: Bool)],
                                            fs: HostFileSystem) throws(WardenError) -> [String] {
        let dotGit = b.source + "/.git"
        var gitDir: String
        switch fs.kind(of: dotGit) {
        case .directory: gitDir = dotGit
        case .file:
            // A gitfile (worktree, submodule): `gitdir: PATH`.
            guard let head = fs.head(of: dotGit, limit: 4096) else { return [] }
            let text = String(decoding: head, as: UTF8.self).trimmingSpaces
            guard text.hasPrefix("gitdir:") else { return [] }
            var p = String(text.dropFirst("gitdir:".count)).trimmingSpaces
            if let nl = p.firstIndex(where: { $0 == "\n" || $0 == "\r" }) { p = String(p[..<nl]) }
            gitDir = p.hasPrefix("/") ? p : b.source + "/" + p
            guard let real = fs.resolved(gitDir) else { return [] }
            gitDir = real
            // The repository's real directory, where it lies inside a writable tree.
            if let w = writable.last(where: { SandboxPath.isWithin(gitDir, $0.source) }), gitDir != w.source {
                _ = try protectEntry(HostAliases.below(gitDir, w.source), in: w, mask: false, fs: fs)
            }
        default: return []
        }
        var out: [String] = []
        var configs = [(file: gitDir + "/config", dir: gitDir)]
        var read = 0
        while let c = configs.first, read < 8 {
            configs.removeFirst()
            read += 1
            guard let bytes = fs.head(of: c.file, limit: 1 << 20) else { continue }
            for t in GitConfigTargets.targets(config: String(decoding: bytes, as: UTF8.self)) {
                let base = t.base == .workTree ? b.source : c.dir
                let joined = t.path.hasPrefix("/") ? t.path : base + "/" + t.path
                guard let path = Self.lexical(joined) else { continue }
                let real = fs.resolved(path) ?? path
                guard let w = writable.last(where: { SandboxPath.isWithin(real, $0.source) }), real != w.source,
                      !SandboxPath.isWithin(real, w.source + "/.git") else { continue }
                out += try protectEntry(HostAliases.below(real, w.source), in: w, mask: t.maskWhenAbsent, fs: fs)
                if t.base == .configDirectory { configs.append((real, SandboxPath.parent(real))) }
            }
        }
        return out
    }

    /// `path` with `.` and `..` applied textually (nil when `..` climbs above `/`).
    static func lexical(_ path: String) -> String? {
        var parts: [Substring] = []
        for p in path.split(separator: "/") {
            if p == "." { continue }
            if p == ".." {
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            } else {
                parts.append(p)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}
