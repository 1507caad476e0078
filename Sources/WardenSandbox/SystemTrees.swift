/// Which writable trees are system directories. As root a writable tree is idmapped to its
/// owner, so a tool with `--rw /etc` creates root-owned files in the host's `/etc`; with
/// another user's home it writes as that user. Such a tree is refused unless the caller says
/// so explicitly (`allowSystemWrites`), and then every record of the run names it. Pure.
public enum SystemTrees {
    /// Refused when the tree is one of these or contains one.
    public static let isOrContains = ["/", "/etc", "/usr", "/boot", "/root", "/var", "/var/lib", "/run", "/home",
                                      "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"]
    /// Refused also when the tree lies inside one: the system's programs and configuration.
    public static let orInside = ["/etc", "/usr", "/boot", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"]

    /// Why `tree` (a real path) is a system tree, or nil. `otherHomes` are the real home
    /// directories of users other than the caller; `table` (the host's mount table) makes the
    /// comparison by filesystem location, so a bind alias of `/etc` is `/etc`.
    public static func reason(_ tree: String, otherHomes: [String], table: [KernelMounts.Entry],
                              resolve: (String) -> String?) -> String? {
        let treeLoc = HostAliases.location(of: tree, in: table)
        func relation(_ dir: String) -> (same: Bool, contains: Bool, inside: Bool)? {
            guard let real = resolve(dir) else { return nil }
            var same = tree == real, contains = SandboxPath.isWithin(real, tree), inside = SandboxPath.isWithin(tree, real)
            if let t = treeLoc, let d = HostAliases.location(of: real, in: table) {
                same = same || t == d
                contains = contains || d.isWithin(t)
                inside = inside || t.isWithin(d)
            }
            return (same, contains, inside)
        }
        for dir in isOrContains {
            guard let r = relation(dir) else { continue }
            if r.same { return "is the system directory \(dir)" }
            if r.contains { return "contains the system directory \(dir)" }
        }
        for dir in orInside {
            if let r = relation(dir), r.inside { return "lies inside the system directory \(dir)" }
        }
        for home in otherHomes {
            guard let r = relation(home) else { continue }
            if r.same || r.contains { return "\(r.same ? "is" : "contains") another user's home directory \(home)" }
        }
        return nil
    }

    /// Users' home directories from the text of /etc/passwd: (uid, home) for each well-formed
    /// line. (Accounts only a name service knows are not listed; see docs/SANDBOX.md.)
    public static func homes(passwd text: String) -> [(uid: UInt32, path: String)] {
        var out: [(UInt32, String)] = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 7, let uid = UInt32(f[2]), f[5].hasPrefix("/") else { continue }
            out.append((uid, String(f[5])))
        }
        return out
    }
}
