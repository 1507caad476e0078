#if canImport(Glibc)
import Glibc
#endif
/// Effectful questions about where host paths really are (real paths and the live mount
/// table, `HostAliases`), for the callers that decide before a sandbox is planned: is a policy
/// file inside a tree the run can write, which writable trees are system directories.
public enum HostPlaces {
    /// The first of `trees` that contains `path` (compared by real path and filesystem
    /// location, so a symlink or bind alias of the tree counts), or nil.
    public static func tree(containing path: String, among trees: [String], fs: HostFileSystem = RealHostFileSystem()) -> String? {
        guard let real = fs.resolved(path) else { return nil }
        let table = fs.mountTable() ?? []
        let loc = HostAliases.location(of: real, in: table)
        for tree in trees {
            guard let t = fs.resolved(tree) else { continue }
            if SandboxPath.isWithin(real, t) { return tree }
            if let loc, let tl = HostAliases.location(of: t, in: table), loc.isWithin(tl) { return tree }
        }
        return nil
    }

    /// Each of `trees` that is a system directory (`SystemTrees.reason`), with the reason.
    public static func systemWrites(_ trees: [String], fs: HostFileSystem = RealHostFileSystem()) -> [(tree: String, reason: String)] {
        let table = fs.mountTable() ?? []
        let me = UInt32(geteuid())
        let others = fs.userHomes().filter { $0.uid != me && $0.path != "/" }.compactMap { fs.resolved($0.path) }
        return trees.compactMap { tree in
            guard let real = fs.resolved(tree),
                  let why = SystemTrees.reason(real, otherHomes: others, table: table, resolve: fs.resolved) else { return nil }
            return (tree, why)
        }
    }
}
