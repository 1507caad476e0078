/// The host's kernel-interface filesystems (procfs, sysfs, cgroupfs, the host's /dev, ...)
/// must never reach a sandbox through a bind mount: the sandbox has its own /proc and /dev
/// and no /sys, and a host procfs would show every host process, its command line and
/// `/proc/sys`. Binds are recursive, so `--ro /:/host` would otherwise carry the host's
/// /proc, /sys and /dev/pts along. Pure: parses /proc/self/mountinfo and answers for paths.
public enum KernelMounts {
    /// One line of /proc/self/mountinfo: where a filesystem is mounted and its type, and which
    /// part of which filesystem it shows (`device` major:minor, `root` the path inside that
    /// filesystem), so two host paths can be told to be the same directory (`HostAliases`).
    public struct Entry: Sendable, Equatable {
        public let mountPoint: String
        public let fsType: String
        public let device: String
        public let root: String

        public init(mountPoint: String, fsType: String, device: String = "", root: String = "/") {
            self.mountPoint = mountPoint
            self.fsType = fsType
            self.device = device
            self.root = root
        }
    }

    /// Filesystem types that are kernel interfaces or host-wide channels, not storage.
    /// `devtmpfs` is the host's /dev; `mqueue` and `hugetlbfs` are shared with host processes.
    /// (`autofs` is not here: automounted trees such as /home are ordinary storage below it.)
    public static let kernelTypes: [String] = [
        "proc", "sysfs", "cgroup", "cgroup2", "devtmpfs", "devpts", "mqueue", "hugetlbfs",
        "debugfs", "tracefs", "securityfs", "bpf", "pstore", "efivarfs", "configfs", "fusectl",
        "binfmt_misc", "nsfs", "rpc_pipefs", "nfsd", "selinuxfs", "smackfs",
    ]

    static func isKernel(_ fsType: String) -> Bool { kernelTypes.contains(fsType) }

    /// Parses /proc/self/mountinfo (mount points unescaped); malformed lines are skipped.
    /// Works on bytes: it runs for every sandbox, and `String`'s per-character splitting cost
    /// a measurable share of `warden exec`'s start.
    public static func parse(mountinfo: String) -> [Entry] {
        parse(mountinfo: Array(mountinfo.utf8))
    }

    public static func parse(mountinfo bytes: [UInt8]) -> [Entry] {
        var out: [Entry] = []
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            if let e = entry(bytes[start..<end]) { out.append(e) }
            start = end + 1
        }
        return out
    }

    /// id parent major:minor root mount-point options [optional...] - type source super
    private static func entry(_ line: ArraySlice<UInt8>) -> Entry? {
        var fields: [Range<Int>] = []
        var i = line.startIndex
        var fieldStart = i
        while i <= line.endIndex {
            if i == line.endIndex || line[i] == 0x20 {
                fields.append(fieldStart..<i)
                fieldStart = i + 1
            }
            i += 1
        }
        guard fields.count >= 10,
              let dash = fields.indices.first(where: { $0 >= 6 && fields[$0].count == 1 && line[fields[$0].lowerBound] == 0x2D }),
              dash + 1 < fields.count else { return nil }
        return Entry(mountPoint: unescape(line[fields[4]]), fsType: String(decoding: line[fields[dash + 1]], as: UTF8.self),
                     device: String(decoding: line[fields[2]], as: UTF8.self), root: unescape(line[fields[3]]))
    }

    /// The type of the outermost kernel filesystem mounted at or above `path` (a real,
    /// resolved path), or nil when there is none: nothing under the host's /proc, /sys or
    /// /dev is ever a bind source, even where an ordinary filesystem is mounted inside one
    /// (/sys/fs/cgroup's tmpfs, /dev/shm).
    public static func kernelType(containing path: String, in table: [Entry]) -> String? {
        var outer: Entry?
        for e in table where isKernel(e.fsType) && SandboxPath.isWithin(path, e.mountPoint) {
            if outer == nil || e.mountPoint.count < outer!.mountPoint.count { outer = e }
        }
        return outer?.fsType
    }

    /// Kernel filesystems mounted strictly below `path` (a real, resolved path), outermost
    /// only (hiding one hides what is mounted inside it), in path order.
    public static func kernelMounts(below path: String, in table: [Entry]) -> [Entry] {
        let below = table.filter { $0.mountPoint != path && SandboxPath.isWithin($0.mountPoint, path) && isKernel($0.fsType) }
        var out: [Entry] = []
        for e in below.sorted(by: { $0.mountPoint.count < $1.mountPoint.count }) {
            if out.contains(where: { SandboxPath.isWithin(e.mountPoint, $0.mountPoint) }) { continue }
            out.append(e)
        }
        return out.sorted { $0.mountPoint < $1.mountPoint }
    }

    /// mountinfo escapes space, tab, newline and backslash as `\ooo` (`MountText`).
    static func unescape(_ s: Substring) -> String { MountText.unescape(Array(s.utf8)[...]) }

    static func unescape(_ u: ArraySlice<UInt8>) -> String { MountText.unescape(u) }
}
