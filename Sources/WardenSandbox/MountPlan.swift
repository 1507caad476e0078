import WardenCore

/// One step of assembling the sandbox root; mirrors `wsp_op` in the C target. Paths are
/// sandbox paths; the spawner prefixes them with where the child assembles the new root.
public enum MountOp: Sendable, Equatable {
    case dir(String, mode: Int)
    case file(String)
    case bind(source: String, destination: String, readOnly: Bool, allowDevices: Bool)
    /// A writable bind that must be idmapped when Warden runs as root.
    case bindWritable(source: String, destination: String)
    case tmpfs(String, options: String)
    case proc(String)
    case write(String, content: [UInt8], mode: Int)
    case symlink(target: String, at: String)
    case readOnly(String)
    /// Creates a file on the root tmpfs holding the `size` bytes of the sealed descriptor `fd`.
    case copy(fd: Int32, to: String, size: Int, mode: Int)
    /// Binds the sandbox's own `path` (already mounted: inside a writable tree) over itself,
    /// read-only: the entry stays readable, with the writable tree's id mapping, and cannot
    /// be written, renamed, removed or linked into.
    case rebindReadOnly(String)
    /// Hides `path` (an empty read-only tmpfs over a directory, /dev/null over anything else).
    /// Where the sandbox's own identity cannot even reach it (a directory on the way denies it
    /// search, e.g. root's 0700 home as root mode's unprivileged mapped uid), the tool cannot
    /// either, and the mask is skipped instead of failing the run.
    case mask(String, directory: Bool)
    /// Makes every mount at and below `path` noexec (after all the others: `confineExecution`).
    case noexec(String)
    /// Binds the sandbox's own `path` over itself read-only and executable again: one
    /// allowed program, library or directory inside the noexec view.
    case executable(String)
}

/// How a path inside the sandbox is backed, used to resolve executables and Landlock rules.
public enum ViewEntry: Sendable, Equatable {
    case hostTree(source: String, writable: Bool)
    case privateTree(writable: Bool)     // tmpfs, /etc, /dev
    case symlink(target: String)
    case proc
    /// A file copied onto the (read-only) root from a sealed descriptor.
    case sealedFile(fd: Int32)
}

/// The ordered mount operations plus the resulting view of the filesystem.
public struct MountPlan: Sendable {
    public internal(set) var ops: [MountOp] = []
    /// Mount destinations and what backs them (later entries cover earlier ones).
    public internal(set) var view: [(path: String, entry: ViewEntry)] = []
    var created: Set<String> = ["/"]
    /// Every bind of a host tree: its resolved source, where it appears, whether writable.
    var binds: [(source: String, destination: String, writable: Bool)] = []
    /// Host directories created for this run so absent protected entries can be masked
    /// (`Placeholders`), with the owner they get.
    public internal(set) var placeholders: [Placeholder] = []
    /// Writable trees that are system directories, allowed by `allowSystemWrites`.
    public internal(set) var systemWrites: [String] = []
    /// Protected entries kept read-only or masked, as sandbox paths (for the report).
    public internal(set) var protected: [String] = []
    /// Device nodes bound into /dev (sandbox paths).
    public private(set) var devices: [String] = []
    /// What `confineExecution` made executable (sandbox paths), for the report.
    public private(set) var executablePaths: [String] = []
    /// Bytes of the files copied onto the root tmpfs (it is sized to hold them).
    public private(set) var copiedBytes = 0

    /// Default read-only system trees (symlinks on merged-/usr hosts are recreated as symlinks).
    static let systemTrees = ["/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"]
    /// Host /etc entries a typical tool needs; everything else in /etc stays hidden.
    static let etcEntries = ["/etc/ld.so.cache", "/etc/ssl", "/etc/ca-certificates", "/etc/alternatives",
                             "/etc/localtime", "/etc/nsswitch.conf", "/etc/mime.types"]
    static let deviceNodes = ["null", "zero", "full", "random", "urandom"]
    /// Inside uid/gid and name of the only user the sandbox knows.
    public static let insideID = 1000
    public static let userName = "sandbox"

    /// Builds the plan for a validated spec.
    public static func build(_ spec: SandboxSpec, fs: HostFileSystem) throws(WardenError) -> MountPlan {
        var plan = MountPlan()
        var kernel = KernelMountGuard(fs: fs)
        if spec.systemMounts {
            for tree in systemTrees {
                switch fs.kind(of: tree) {
                case .directory:
                    plan.bind(try kernel.source(tree, boundAt: tree), tree, readOnly: true)
                case .symlink(let target): plan.symlink(target, at: tree)
                default: break
                }
            }
            try plan.etc(spec, fs: fs, kernel: &kernel)
            plan.tmpfs("/tmp", options: "mode=1777,size=\(spec.tmpSizeMB)m", writable: true)
            plan.ensureDir("/proc")
            plan.ops.append(.proc("/proc"))
            plan.view.append(("/proc", .proc))
            plan.dev(tty: spec.tty)
        }
        for m in spec.mounts {
            switch m {
            case .readOnly(let src, let dst), .readWrite(let src, let dst):
                let writable: Bool
                if case .readWrite = m { writable = true } else { writable = false }
                switch fs.kind(of: src) {
                case .missing:
                    throw .notFound("sandbox.mount_source_missing", "mount source '\(src)' does not exist")
                case .directory, .file:
                    let real = try kernel.source(src, boundAt: dst)
                    if writable {
                        plan.ensureParents(dst)
                        plan.mountpoint(dst, directory: fs.kind(of: src) == .directory)
                        plan.ops.append(.bindWritable(source: real, destination: dst))
                        plan.view.append((dst, .hostTree(source: real, writable: true)))
                        plan.binds.append((real, dst, true))
                    } else {
                        plan.bind(real, dst, readOnly: true, directory: fs.kind(of: src) == .directory)
                    }
                case .symlink:
                    throw .usage("sandbox.mount_source_symlink", "mount source '\(src)' is a symlink; give the real path")
                case .other:
                    throw .usage("sandbox.mount_source_type", "mount source '\(src)' is not a file or directory")
                }
            case .tmpfs(let dst, let size):
                // Owned by the sandbox user so the program can use it in both modes.
                plan.tmpfs(dst, options: "mode=0755,uid=\(insideID),gid=\(insideID),size=\(size)m", writable: true)
            case .sealedFile(let fd, let dst):
                guard let facts = fs.sealedFile(fd, headLimit: 0) else {
                    throw .denied("sandbox.sealed_file", "sealed file \(dst): descriptor \(fd) is not a file sealed against writes, growth, shrinking and further sealing")
                }
                // On the root tmpfs itself, so the root's read-only remount covers it.
                guard plan.entry(of: dst) == nil, !plan.created.contains(dst) else {
                    throw .usage("sandbox.sealed_file", "sealed file \(dst): destination lies inside another mount or is already used")
                }
                plan.ensureParents(dst)
                plan.ops.append(.copy(fd: fd, to: dst, size: facts.size, mode: 0o555))
                plan.created.insert(dst)
                plan.view.append((dst, .sealedFile(fd: fd)))
                plan.copiedBytes += facts.size
            }
        }
        // Warden's own files and the protected entries of writable trees (SelfProtection).
        let extraMasks = try plan.protect(spec, fs: fs, kernel: &kernel)
        for masked in spec.maskedPaths + extraMasks {
            // A sealed file is not host-backed, so nothing below would hide it: refuse instead.
            if case .some((_, .sealedFile)) = plan.entry(of: masked) {
                throw .denied("sandbox.sealed_file", "masked path \(masked) is a sealed file; it cannot be hidden, so the run is refused")
            }
            guard let host = plan.hostPath(of: masked) else { continue }
            switch fs.kind(of: host) {
            case .directory: plan.ops.append(.mask(masked, directory: true))
            case .file, .other, .symlink: plan.ops.append(.mask(masked, directory: false))
            case .missing: break
            }
        }
        // Kernel filesystems inside bound trees: always hidden (a mount point that vanished
        // since the table was read makes the mask, and so the run, fail rather than pass).
        for hidden in kernel.hidden {
            if let host = plan.hostPath(of: hidden), case .file = fs.kind(of: host) {
                plan.ops.append(.bind(source: "/dev/null", destination: hidden, readOnly: true, allowDevices: false))
            } else {
                plan.ops.append(.tmpfs(hidden, options: "mode=0000,size=4k"))
                plan.ops.append(.readOnly(hidden))
            }
        }
        return plan
    }

    /// Code runs only from `paths` (canonical sandbox paths of the allowed programs, their
    /// interpreters and libraries, and allowed directories): everything is noexec, then each
    /// of these is bound over itself executable. This is what makes the exec allowlist hold
    /// against code *loading* (the loader run directly, `mmap(PROT_EXEC)` of a file the tool
    /// wrote), which Landlock's EXECUTE right does not see. Called once, last.
    public mutating func confineExecution(to paths: [String]) {
        ops.append(.noexec("/"))
        var seen = Set<String>()
        // Parents before children, so a file inside an allowed directory is bound over the
        // directory's new mount rather than hidden under it.
        for p in paths.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) where seen.insert(p).inserted {
            ops.append(.executable(p))
        }
        executablePaths = paths
    }

    /// The host path backing a sandbox path (no symlink resolution), if it is host-backed.
    public func hostPath(of path: String) -> String? {
        guard let (mountPath, entry) = view.last(where: { SandboxPath.isWithin(path, $0.path) }) else { return nil }
        guard case .hostTree(let source, _) = entry else { return nil }
        let rest = String(path.dropFirst(mountPath.count))
        return source == "/" ? (rest.isEmpty ? "/" : rest) : source + rest
    }

    /// True for a directory the plan creates (on the root tmpfs, or a private one such as
    /// /tmp) only to hold deeper mounts.
    public func isIntermediateDirectory(_ path: String) -> Bool {
        switch entry(of: path)?.entry {
        case nil, .privateTree: view.contains { $0.path.hasPrefix(path + "/") }
        default: false
        }
    }

    /// The innermost view entry covering `path`.
    public func entry(of path: String) -> (path: String, entry: ViewEntry)? {
        view.last(where: { SandboxPath.isWithin(path, $0.path) })
    }

    mutating func ensureDir(_ path: String) {
        ensureParents(path)
        if !created.contains(path) {
            ops.append(.dir(path, mode: 0o755))
            created.insert(path)
        }
    }

    private mutating func ensureParents(_ path: String) {
        for a in SandboxPath.ancestors(path) where !created.contains(a) {
            ops.append(.dir(a, mode: 0o755))
            created.insert(a)
        }
    }

    private mutating func mountpoint(_ path: String, directory: Bool) {
        if directory { ensureDir(path) } else if !created.contains(path) {
            ops.append(.file(path))
            created.insert(path)
        }
    }

    private mutating func bind(_ src: String, _ dst: String, readOnly: Bool, directory: Bool = true) {
        ensureParents(dst)
        mountpoint(dst, directory: directory)
        ops.append(.bind(source: src, destination: dst, readOnly: readOnly, allowDevices: false))
        view.append((dst, .hostTree(source: src, writable: !readOnly)))
        binds.append((src, dst, !readOnly))
    }

    private mutating func symlink(_ target: String, at path: String) {
        ensureParents(path)
        ops.append(.symlink(target: target, at: path))
        created.insert(path)
        view.append((path, .symlink(target: target)))
    }

    private mutating func tmpfs(_ path: String, options: String, writable: Bool) {
        ensureDir(path)
        ops.append(.tmpfs(path, options: options))
        view.append((path, .privateTree(writable: writable)))
    }

    /// A private, read-only /etc holding only the sandbox user and a few host files.
    private mutating func etc(_ spec: SandboxSpec, fs: HostFileSystem, kernel: inout KernelMountGuard) throws(WardenError) {
        tmpfs("/etc", options: "mode=0755,size=1m", writable: false)
        let id = MountPlan.insideID
        let files: [(String, String)] = [
            ("/etc/passwd", "\(MountPlan.userName):x:\(id):\(id):sandbox:/tmp:/bin/sh\n"),
            ("/etc/group", "\(MountPlan.userName):x:\(id):\n"),
            ("/etc/hostname", spec.hostname + "\n"),
            ("/etc/hosts", "127.0.0.1 localhost \(spec.hostname)\n::1 localhost\n"),
        ]
        for (path, text) in files {
            ops.append(.write(path, content: Array(text.utf8), mode: 0o644))
            created.insert(path)
        }
        for path in MountPlan.etcEntries {
            switch fs.kind(of: path) {
            case .directory: bind(try kernel.source(path, boundAt: path), path, readOnly: true)
            case .file: bind(try kernel.source(path, boundAt: path), path, readOnly: true, directory: false)
            case .symlink(let target):
                ops.append(.symlink(target: target, at: path))
                created.insert(path)
            default: break
            }
        }
        ops.append(.readOnly("/etc"))
    }

    /// A minimal /dev: a few harmless character devices and the usual symlinks.
    private mutating func dev(tty: Bool) {
        tmpfs("/dev", options: "mode=0755,size=64k", writable: false)
        devices = MountPlan.deviceNodes.map { "/dev/" + $0 } + (tty ? ["/dev/tty"] : [])
        for path in devices {
            ops.append(.file(path))
            created.insert(path)
            ops.append(.bind(source: path, destination: path, readOnly: false, allowDevices: true))
        }
        let links = [("/proc/self/fd", "/dev/fd"), ("/proc/self/fd/0", "/dev/stdin"),
                     ("/proc/self/fd/1", "/dev/stdout"), ("/proc/self/fd/2", "/dev/stderr")]
        for (target, at) in links {
            ops.append(.symlink(target: target, at: at))
            created.insert(at)
        }
        ensureDir("/dev/shm")   // before /dev turns read-only
        ops.append(.readOnly("/dev"))
        // POSIX shared memory (shm_open, Python multiprocessing): private, capped, charged to
        // the sandbox's memory cgroup.
        tmpfs("/dev/shm", options: "mode=1777,size=16m", writable: true)
    }
}
