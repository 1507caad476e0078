import Testing
import WardenCore
@testable import WardenSandbox

/// The pure parts of self-protection: locations and aliases from the mount table, git's
/// configuration targets, system trees.
@Suite("Self-protection planning")
struct SelfProtectionPlanTests {
    typealias E = KernelMounts.Entry
    /// / on 8:1; /srv/data on 8:2; /mnt/p a bind of /srv/proj (8:1); /mnt/d a bind of 8:2's /sub.
    let table = [E(mountPoint: "/", fsType: "ext4", device: "8:1", root: "/"),
                 E(mountPoint: "/srv/data", fsType: "ext4", device: "8:2", root: "/"),
                 E(mountPoint: "/mnt/p", fsType: "ext4", device: "8:1", root: "/srv/proj"),
                 E(mountPoint: "/mnt/d", fsType: "ext4", device: "8:2", root: "/sub")]

    @Test func locationsAndAliasesFollowBindMounts() {
        #expect(HostAliases.location(of: "/srv/proj/.warden", in: table) == .init(device: "8:1", path: "/srv/proj/.warden"))
        #expect(HostAliases.location(of: "/mnt/p/.warden", in: table) == .init(device: "8:1", path: "/srv/proj/.warden"))
        #expect(HostAliases.location(of: "/srv/data/sub/x", in: table) == .init(device: "8:2", path: "/sub/x"))
        #expect(HostAliases.location(of: "/mnt/d/x", in: table) == .init(device: "8:2", path: "/sub/x"))
        #expect(Set(HostAliases.aliases(of: "/srv/proj/.warden", in: table)) == ["/srv/proj/.warden", "/mnt/p/.warden"])
        #expect(Set(HostAliases.aliases(of: "/srv/data/sub/k", in: table)) == ["/srv/data/sub/k", "/mnt/d/k"])
        // Same path on another filesystem is another place.
        #expect(HostAliases.location(of: "/srv/data/proj", in: table) != HostAliases.location(of: "/srv/proj", in: table))
        #expect(HostAliases.location(of: "/mnt/p/a", in: table)!.isWithin(.init(device: "8:1", path: "/srv")))
    }

    @Test func mountinfoGivesDeviceAndRoot() {
        let line = "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n"
        #expect(KernelMounts.parse(mountinfo: line) == [E(mountPoint: "/mnt/parent", fsType: "ext3", device: "98:0", root: "/mnt1")])
    }

    @Test func gitConfigTargets() {
        let config = """
        [core]
        \trepositoryformatversion = 0
        \thooksPath = .githooks ; comment
        \tfsmonitor = "tools/fsmon.sh"
        \tpager = less -R
        [alias]
        \tst = !./scripts/st.sh --short
        \tlg = log --oneline
        [include]
        \tpath = ../config.local
        [includeIf "gitdir:~/work/"]
        \tpath = /etc/gitconfig-work
        [url "https://example.invalid/"]
        \tinsteadOf = gh:
        [filter "x"]
        \tsmudge = ./bin/smudge %f
        """
        let t = GitConfigTargets.targets(config: config)
        #expect(t.contains(.init(path: ".githooks", base: .workTree, maskWhenAbsent: true)))
        #expect(t.contains(.init(path: "tools/fsmon.sh", base: .workTree, maskWhenAbsent: true)))
        #expect(t.contains(.init(path: "./scripts/st.sh", base: .workTree, maskWhenAbsent: false)))
        #expect(t.contains(.init(path: "../config.local", base: .configDirectory, maskWhenAbsent: true)))
        #expect(t.contains(.init(path: "/etc/gitconfig-work", base: .configDirectory, maskWhenAbsent: true)))
        #expect(t.contains(.init(path: "./bin/smudge", base: .workTree, maskWhenAbsent: false)))
        #expect(!t.contains { $0.path.contains("example.invalid") || $0.path == "less" || $0.path == "log" })
    }

    /// Hostile configuration text never traps.
    @Test func gitConfigParserNeverTraps() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("[]\"\\=;# \t\n\r!/.ab:~$")
        for _ in 0..<3000 {
            let s = String((0..<Int.random(in: 0...80, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            _ = GitConfigTargets.targets(config: s)
        }
    }

    @Test func systemTrees() {
        let id: (String) -> String? = { $0 }
        let flat = [E(mountPoint: "/", fsType: "ext4", device: "8:1", root: "/")]
        #expect(SystemTrees.reason("/etc", otherHomes: [], table: flat, resolve: id) != nil)
        #expect(SystemTrees.reason("/etc/cron.d", otherHomes: [], table: flat, resolve: id) != nil)
        #expect(SystemTrees.reason("/", otherHomes: [], table: flat, resolve: id) != nil)
        #expect(SystemTrees.reason("/var", otherHomes: [], table: flat, resolve: id) != nil)
        #expect(SystemTrees.reason("/root", otherHomes: [], table: flat, resolve: id) != nil)
        #expect(SystemTrees.reason("/root/project", otherHomes: [], table: flat, resolve: id) == nil)
        #expect(SystemTrees.reason("/srv/proj", otherHomes: [], table: flat, resolve: id) == nil)
        #expect(SystemTrees.reason("/home/bob", otherHomes: ["/home/bob"], table: flat, resolve: id) != nil)
        #expect(SystemTrees.reason("/home/bob/src", otherHomes: ["/home/bob"], table: flat, resolve: id) == nil)
        // A bind alias of /etc is /etc.
        let aliased = flat + [E(mountPoint: "/mnt/etc", fsType: "ext4", device: "8:1", root: "/etc")]
        #expect(SystemTrees.reason("/mnt/etc", otherHomes: [], table: aliased, resolve: id) != nil)
        let homes = SystemTrees.homes(passwd: "root:x:0:0:root:/root:/bin/bash\nbad line\nbob:x:1001:1001::/home/bob:/bin/sh\n")
        #expect(homes.map(\.path) == ["/root", "/home/bob"])
    }
}
