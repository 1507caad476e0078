/// Where one file or directory of the host is visible. A path spelled differently can still be
/// the same directory: symlinks are resolved (`realpath`) before anything here, and bind mounts
/// (`mount --bind /srv/proj /mnt/p`: `/mnt/p/.warden` *is* `/srv/proj/.warden`) are read from
/// the mount table, which says for every mount which filesystem (`device`) and which directory
/// of it (`root`) it shows. A path's location is that pair; two paths are the same place, or one
/// lies inside the other, when their locations say so, whatever their spelling. Pure.
public enum HostAliases {
    /// A place inside one filesystem.
    public struct Location: Equatable, Sendable {
        public let device: String
        public let path: String

        /// True when `self` is `other` or lies beneath it.
        public func isWithin(_ other: Location) -> Bool {
            device == other.device && SandboxPath.isWithin(path, other.path)
        }
    }

    /// The mount that shows `path` (a real path): the innermost mount point containing it, the
    /// last one listed where several share it (a later mount covers an earlier one).
    static func mount(of path: String, in table: [KernelMounts.Entry]) -> KernelMounts.Entry? {
        var best: KernelMounts.Entry?
        for e in table where SandboxPath.isWithin(path, e.mountPoint) {
            if best == nil || e.mountPoint.count >= best!.mountPoint.count { best = e }
        }
        return best
    }

    /// The filesystem location of a real path, or nil when no mount shows it (an empty table).
    public static func location(of path: String, in table: [KernelMounts.Entry]) -> Location? {
        guard let m = mount(of: path, in: table), !m.device.isEmpty else { return nil }
        return Location(device: m.device, path: join(m.root, below(path, m.mountPoint)))
    }

    /// Every host path at which the location of `path` (a real path) is visible: `path` itself
    /// first, then the same place through every other mount of the same filesystem that shows
    /// one of its ancestors. May name a path that another mount covers; masking such a path
    /// hides more than needed, never less.
    public static func aliases(of path: String, in table: [KernelMounts.Entry]) -> [String] {
        var out = [path]
        guard let loc = location(of: path, in: table) else { return out }
        for e in table where e.device == loc.device && SandboxPath.isWithin(loc.path, e.root) {
            let alias = join(e.mountPoint, below(loc.path, e.root))
            if !out.contains(alias) { out.append(alias) }
        }
        return out
    }

    /// `path` relative to `prefix` ("" when equal); `path` must lie within `prefix`.
    static func below(_ path: String, _ prefix: String) -> String {
        prefix == "/" ? (path == "/" ? "" : String(path.dropFirst())) : String(path.dropFirst(prefix.count)).trimmingLeadingSlash
    }

    static func join(_ base: String, _ rest: String) -> String {
        if rest.isEmpty { return base }
        return base == "/" ? "/" + rest : base + "/" + rest
    }
}

extension String {
    var trimmingLeadingSlash: String { hasPrefix("/") ? String(dropFirst()) : self }
}
