import WardenCore

/// Resolves bind sources while one plan is built and applies `KernelMounts` to them: reads the
/// host's mount table once, refuses a source on a kernel filesystem, and collects the kernel
/// filesystems mounted inside each bound tree so the plan hides them (an empty, read-only,
/// mode-0000 tmpfs over each: the same mask as a denied path). Fails closed when the table is
/// unreadable or a source cannot be resolved.
struct KernelMountGuard {
    let fs: HostFileSystem
    private var table: [KernelMounts.Entry]?
    /// Sandbox paths to hide.
    private(set) var hidden: [String] = []

    init(fs: HostFileSystem) {
        self.fs = fs
    }

    mutating func entries() throws(WardenError) -> [KernelMounts.Entry] {
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

    /// The source of a bind at `dst`, resolved once (`realpath`): the plan, the parent's tree
    /// clones and the child all use this path, and the child opens it refusing any symlink, so
    /// a component swapped for a symlink after planning fails the run instead of being
    /// followed. Refuses a source on or under a kernel filesystem, and notes the kernel
    /// filesystems mounted inside it (the bind is recursive) for the plan to hide.
    mutating func source(_ src: String, boundAt dst: String) throws(WardenError) -> String {
        let root = try real(src)
        let table = try entries()
        if let type = KernelMounts.kernelType(containing: root, in: table) {
            throw .denied("sandbox.mount_source_kernel", "mount source '\(src)' is on the host's \(type) filesystem, a kernel interface: the sandbox has its own /proc and /dev and no /sys, and never receives the host's")
        }
        for e in KernelMounts.kernelMounts(below: root, in: table) {
            let rest = root == "/" ? e.mountPoint : String(e.mountPoint.dropFirst(root.count))
            hidden.append(dst == "/" ? rest : dst + rest)
        }
        return root
    }
}
