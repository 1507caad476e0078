/// Pure parsing of /proc/self/cgroup and /proc/self/mounts into the places Warden may create
/// per-run cgroups (v2 unified hierarchy and/or v1 controller hierarchies).
public struct CgroupLayout: Sendable, Equatable {
    /// v1 controller name → directory of our own cgroup in that hierarchy.
    public var v1: [String: String] = [:]
    /// Directory of our own cgroup in the unified (v2) hierarchy, if mounted.
    public var v2: String?

    /// Where the hierarchies are mounted (from /proc/self/mounts).
    public struct Mounts: Sendable, Equatable {
        /// v1 controller name → mount point of its hierarchy.
        public var v1: [String: String] = [:]
        /// Mount point of the unified (v2) hierarchy.
        public var v2: String?
    }

    public static func parse(procSelfCgroup: String, mounts: String) -> CgroupLayout {
        parse(procSelfCgroup: procSelfCgroup, mounts: parseMounts(mounts))
    }

    public static func parseMounts(_ mounts: String) -> Mounts {
        var result = Mounts()
        for line in mounts.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count >= 4 else { continue }
            let point = unescape(String(f[1]))
            if f[2] == "cgroup2" { result.v2 = result.v2 ?? point }
            if f[2] == "cgroup" {
                for opt in f[3].split(separator: ",") where ["memory", "pids", "cpu", "cpuacct"].contains(String(opt)) {
                    result.v1[String(opt)] = point
                }
            }
        }
        return result
    }

    public static func parse(procSelfCgroup: String, mounts: Mounts) -> CgroupLayout {
        var layout = CgroupLayout()
        let v1Mounts = mounts.v1, v2Mount = mounts.v2
        for line in procSelfCgroup.split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3 else { continue }
            let path = String(f[2])
            if f[0] == "0" && f[1].isEmpty {
                if let m = v2Mount { layout.v2 = join(m, path) }
                continue
            }
            for controller in f[1].split(separator: ",") {
                if let m = v1Mounts[String(controller)] { layout.v1[String(controller)] = join(m, path) }
            }
        }
        return layout
    }

    static func join(_ mount: String, _ path: String) -> String {
        path == "/" ? mount : mount + path
    }

    /// /proc/mounts escapes spaces etc. as octal.
    static func unescape(_ s: String) -> String { MountText.unescape(Array(s.utf8)[...]) }
}
