import Testing
import WardenCore
@testable import WardenSandbox

@Suite("Kernel filesystems never reach a sandbox through a bind")
struct KernelMountTests {
    static let mountinfo = """
        22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard
        23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:2 - proc proc rw
        24 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:3 - sysfs sysfs rw
        25 24 0:23 / /sys/fs/cgroup rw shared:4 - tmpfs tmpfs rw,mode=755
        26 25 0:24 / /sys/fs/cgroup/memory rw shared:5 - cgroup cgroup rw,memory
        27 22 0:5 / /dev rw,nosuid shared:6 - devtmpfs udev rw,size=1024k
        28 27 0:25 / /dev/pts rw shared:7 - devpts devpts rw,gid=5
        29 27 0:26 / /dev/shm rw shared:8 - tmpfs tmpfs rw
        30 22 0:27 / /srv/my\\040data rw shared:9 - ext4 /dev/vdb rw
        31 30 0:28 / /srv/my\\040data/proc rw shared:10 - proc proc rw
        32 22 0:29 / /mnt/stack rw - proc proc rw
        33 22 0:30 / /mnt/stack rw - tmpfs tmpfs rw
        bad line
        """

    @Test func parsesMountinfoWithOptionalFieldsAndEscapes() {
        let table = KernelMounts.parse(mountinfo: Self.mountinfo)
        #expect(table.count == 12, "the malformed line is skipped")
        #expect(table[0] == KernelMounts.Entry(mountPoint: "/", fsType: "ext4", device: "254:0", root: "/"))
        #expect(table.contains(KernelMounts.Entry(mountPoint: "/srv/my data/proc", fsType: "proc", device: "0:28", root: "/")))
        #expect(KernelMounts.unescape("a\\134b\\011c") == "a\\b\tc")
        #expect(KernelMounts.unescape("trailing\\04") == "trailing\\04", "a short escape stays as it is")
    }

    @Test func findsTheFilesystemHoldingAPath() {
        let table = KernelMounts.parse(mountinfo: Self.mountinfo)
        #expect(KernelMounts.kernelType(containing: "/proc/self", in: table) == "proc")
        #expect(KernelMounts.kernelType(containing: "/sys/fs/cgroup", in: table) == "sysfs", "a tmpfs inside sysfs is still under it")
        #expect(KernelMounts.kernelType(containing: "/sys/fs/cgroup/memory/x", in: table) == "sysfs")
        #expect(KernelMounts.kernelType(containing: "/dev", in: table) == "devtmpfs")
        #expect(KernelMounts.kernelType(containing: "/dev/shm/x", in: table) == "devtmpfs")
        #expect(KernelMounts.kernelType(containing: "/procedures", in: table) == nil, "a prefix is not a parent")
        #expect(KernelMounts.kernelType(containing: "/mnt/stack", in: table) == "proc", "covered, but still a procfs underneath")
        #expect(KernelMounts.kernelType(containing: "/srv/my data", in: table) == nil)
        #expect(KernelMounts.kernelType(containing: "/srv/my data/proc/1", in: table) == "proc")
    }

    @Test func listsOnlyTheOutermostKernelMountsBelowATree() {
        let table = KernelMounts.parse(mountinfo: Self.mountinfo)
        #expect(KernelMounts.kernelMounts(below: "/", in: table).map(\.mountPoint)
                == ["/dev", "/mnt/stack", "/proc", "/srv/my data/proc", "/sys"])
        #expect(KernelMounts.kernelMounts(below: "/srv/my data", in: table).map(\.mountPoint) == ["/srv/my data/proc"])
        #expect(KernelMounts.kernelMounts(below: "/sys/fs/cgroup", in: table).map(\.mountPoint) == ["/sys/fs/cgroup/memory"])
        #expect(KernelMounts.kernelMounts(below: "/usr", in: table).isEmpty)
        #expect(KernelMounts.kernelMounts(below: "/proc", in: table).isEmpty, "the tree itself is not below itself")
    }

    static func fs(_ mounts: [KernelMounts.Entry]?) -> FakeFS {
        var fs = FakeFS(kinds: ["/usr": .directory, "/usr/bin": .directory, "/usr/bin/true": .file(executable: true),
                                "/": .directory, "/proc": .directory, "/sys": .directory, "/srv": .directory, "/data": .directory])
        fs.mounts = mounts ?? []
        fs.unreadableMounts = mounts == nil
        return fs
    }

    @Test func planRefusesKernelSourcesAndHidesKernelMountsInsideBinds() throws {
        let fs = Self.fs(KernelMounts.parse(mountinfo: Self.mountinfo))
        for source in ["/proc", "/sys"] {
            let spec = SandboxSpec(command: "/usr/bin/true", mounts: [.readOnly(source: source, destination: "/k")])
            #expect(throws: WardenError.self) { _ = try MountPlan.build(spec, fs: fs) }
            do { _ = try MountPlan.build(spec, fs: fs) } catch { #expect(error.code == "sandbox.mount_source_kernel") }
        }
        let plan = try MountPlan.build(SandboxSpec(command: "/usr/bin/true", mounts: [.readOnly(source: "/", destination: "/host")]), fs: fs)
        for hidden in ["/host/proc", "/host/sys", "/host/dev", "/host/srv/my data/proc"] {
            #expect(plan.ops.contains(.tmpfs(hidden, options: "mode=0000,size=4k")), "\(hidden) is not hidden")
            #expect(plan.ops.contains(.readOnly(hidden)))
        }
        #expect(!plan.ops.contains(.tmpfs("/host/sys/fs/cgroup/memory", options: "mode=0000,size=4k")), "inside a hidden tree already")
        #expect(plan.ops.contains(.bind(source: "/", destination: "/host", readOnly: true, allowDevices: false)))
        // An ordinary tree with nothing of the kernel inside: bound as before, nothing hidden.
        let plain = try MountPlan.build(SandboxSpec(command: "/usr/bin/true", mounts: [.readWrite(source: "/data", destination: "/w")]), fs: fs)
        #expect(!plain.ops.contains { if case .tmpfs(_, "mode=0000,size=4k") = $0 { return true } else { return false } })
    }

    @Test func planFailsClosedWithoutTheMountTable() {
        let spec = SandboxSpec(command: "/usr/bin/true", mounts: [.readOnly(source: "/data", destination: "/d")])
        do {
            _ = try MountPlan.build(spec, fs: Self.fs(nil))
            Issue.record("planned without knowing the mounts")
        } catch {
            #expect(error.code == "sandbox.mount_table")
        }
    }
}
