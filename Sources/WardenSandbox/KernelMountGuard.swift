import WardenCore

/// Applies `KernelMounts` while one plan is built: reads the host's mount table once, refuses
/// a bind whose source is itself on a kernel filesystem, and collects the kernel filesystems
/// mounted inside each bound tree so the plan hides them (an empty, read-only, mode-0000
/// tmpfs over each: the same mask as a denied path). Fails closed when the table is unreadable.
struct KernelMountGuard {
    let fs: HostFileSystem
    private var table: [KernelMounts.Entry]?
    /// Sandbox paths to hide.
    private(set) var hidden: [String] = []

    init(fs: HostFileSystem) {
        self.fs = fs
    }

    private mutating func entries() throws(WardenError) -> [KernelMounts.Entry] {
        if let table { return table }
        guard let read = fs.mountTable(), !read.isEmpty else {
            throw .denied("sandbox.mount_table", "cannot read /proc/self/mountinfo, so Warden cannot keep the host's kernel filesystems (proc, sysfs, cgroup, ...) out of the sandbox's bind mounts")
        }
        table = read
        return read
    }

    private func real(_ src: String) throws(WardenError) -> String {
        guard let real = fs.resolved(src) else {
            throw .notFound("sandbox.mount_source_missing", "mount source '\(src)' cannot be resolved")
        }
        return real
    }

    /// Refuses `src` when it lies on a kernel filesystem (host /proc, /sys, /dev, ...).
    mutating func refuseKernelSource(_ src: String) throws(WardenError) {
        if let type = KernelMounts.kernelType(containing: try real(src), in: try entries()) {
            throw .denied("sandbox.mount_source_kernel", "mount source '\(src)' is on the host's \(type) filesystem, a kernel interface: the sandbox has its own /proc and /dev and no /sys, and never receives the host's")
        }
    }

    /// Notes the kernel filesystems mounted inside `src` (bound recursively at `dst`).
    mutating func hideKernelMounts(bound src: String, at dst: String) throws(WardenError) {
        let root = try real(src)
        for e in KernelMounts.kernelMounts(below: root, in: try entries()) {
            let rest = root == "/" ? e.mountPoint : String(e.mountPoint.dropFirst(root.count))
            hidden.append(dst == "/" ? rest : dst + rest)
        }
    }
}
