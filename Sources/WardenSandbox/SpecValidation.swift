import WardenCore

/// Checks a `SandboxSpec` before anything touches the kernel; every rejection names the field.
public enum SpecValidation {
    /// Returns a copy with normalized paths, or throws a one-line usage/denied error.
    public static func validate(_ spec: SandboxSpec) throws(WardenError) -> SandboxSpec {
        var s = spec
        switch spec.network {
        case .none: s.egress = nil
        case .egress: try EgressValidation.validate(spec.egress)
        case .loopback, .host:
            throw .denied("sandbox.network_unsupported",
                          "network mode '\(spec.network.rawValue)' is not supported; use none or an egress grant")
        }
        guard !spec.command.isEmpty, !spec.command.utf8.contains(0) else {
            throw .usage("sandbox.command_invalid", "command must be a non-empty string without NUL bytes")
        }
        for arg in spec.arguments where arg.utf8.contains(0) {
            throw .usage("sandbox.argument_nul", "argument contains a NUL byte")
        }
        s.mounts = []
        for m in spec.mounts {
            switch m {
            case .readOnly(let src, let dst):
                s.mounts.append(.readOnly(source: try SandboxPath.normalize(src, field: "--ro source"),
                                          destination: try destination(dst, field: "--ro destination")))
            case .readWrite(let src, let dst):
                s.mounts.append(.readWrite(source: try SandboxPath.normalize(src, field: "--rw source"),
                                           destination: try destination(dst, field: "--rw destination")))
            case .tmpfs(let dst, let size):
                guard size >= 1, size <= 1 << 20 else {
                    throw .usage("sandbox.tmpfs_size", "--tmpfs \(dst): size must be 1...1048576 MiB")
                }
                s.mounts.append(.tmpfs(destination: try destination(dst, field: "--tmpfs"), sizeMB: size))
            case .sealedFile(let fd, let dst):
                // Whether the descriptor is really sealed is checked when the plan is built.
                guard fd >= 0 else { throw .usage("sandbox.sealed_file", "sealed file \(dst): invalid descriptor \(fd)") }
                s.mounts.append(.sealedFile(fd: fd, destination: try destination(dst, field: "sealed file destination")))
            }
        }
        var execs: [String] = []
        for p in spec.allowExec { execs.append(try SandboxPath.normalize(p, field: "--allow-exec")) }
        s.allowExec = execs
        var loads: [String] = []
        for p in spec.allowLoad { loads.append(try SandboxPath.normalize(p, field: "--allow-load")) }
        s.allowLoad = loads
        var masked: [String] = []
        for p in spec.maskedPaths { masked.append(try destination(p, field: "masked path")) }
        s.maskedPaths = masked
        s.cwd = try SandboxPath.normalize(spec.cwd, field: "--cwd")
        for (key, value) in spec.environment {
            guard !key.isEmpty, !key.contains("="), !key.utf8.contains(0), !value.utf8.contains(0) else {
                throw .usage("sandbox.env_invalid", "--env '\(key)': name must be non-empty without '=' or NUL")
            }
        }
        try checkLimits(spec.limits)
        guard spec.tmpSizeMB >= 1, spec.tmpSizeMB <= 1 << 20 else {
            throw .usage("sandbox.tmp_size", "tmp size must be 1...1048576 MiB")
        }
        let hostOK = !spec.hostname.isEmpty && spec.hostname.utf8.count <= 63 &&
            spec.hostname.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
        guard hostOK else {
            throw .usage("sandbox.hostname_invalid", "hostname must be 1-63 characters of [a-z0-9-]")
        }
        return s
    }

    private static func destination(_ path: String, field: String) throws(WardenError) -> String {
        let p = try SandboxPath.normalize(path, field: field)
        guard p != "/" else { throw .usage("sandbox.mount_root", "\(field): cannot mount over '/'") }
        return p
    }

    private static func checkLimits(_ l: SandboxSpec.Limits) throws(WardenError) {
        guard l.wallSeconds > 0, l.wallSeconds <= 7 * 86400, l.wallSeconds.isFinite else {
            throw .usage("sandbox.limit_timeout", "--timeout must be between 0 and 604800 seconds")
        }
        if let cpu = l.cpuSeconds, cpu < 1 || cpu > 7 * 86400 {
            throw .usage("sandbox.limit_cpu", "--cpu must be 1...604800 seconds")
        }
        guard l.memoryMB >= 8, l.memoryMB <= 1 << 22 else {
            throw .usage("sandbox.limit_memory", "--memory must be 8...4194304 MiB")
        }
        guard l.pids >= 1, l.pids <= 1 << 22 else {
            throw .usage("sandbox.limit_pids", "--pids must be 1...4194304")
        }
        guard l.outputBytes >= 0, l.outputBytes <= 1 << 40 else {
            throw .usage("sandbox.limit_output", "--output-limit must be 0...2^40 bytes")
        }
        guard l.openFiles >= 8, l.openFiles <= 1 << 20 else {
            throw .usage("sandbox.limit_nofile", "open-files limit must be 8...1048576")
        }
        guard l.fileSizeBytes >= 0 else {
            throw .usage("sandbox.limit_fsize", "file-size limit must be >= 0")
        }
    }
}
