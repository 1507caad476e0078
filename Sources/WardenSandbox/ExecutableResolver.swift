import WardenCore

/// Finds the program inside the sandbox view and everything the kernel must execute to start
/// it (the ELF interpreter, a script's `#!` interpreter), so Landlock can grant EXECUTE to
/// exactly those files.
public struct ExecutableResolver: Sendable {
    let plan: MountPlan
    let fs: HostFileSystem

    public init(plan: MountPlan, fs: HostFileSystem) {
        self.plan = plan
        self.fs = fs
    }

    /// A sandbox path resolved through symlinks, with the host file backing it.
    public struct Resolved: Sendable, Equatable {
        public let sandboxPath: String
        public let hostPath: String
        public let executable: Bool
        /// The sealed descriptor whose copy this file is (`SandboxSpec.Mount.sealedFile`).
        public var sealedFD: Int32? = nil
    }

    /// Resolves `path` (absolute, inside the sandbox) following symlinks as the kernel would
    /// inside the sandbox; nil when it does not exist or is not host-backed.
    public func resolve(_ path: String) -> Resolved? {
        if case .file(let r) = walk(path) { return r }
        return nil
    }

    /// The sandbox path of the directory `path` names (through symlinks), if it is one.
    public func resolveDirectory(_ path: String) -> String? {
        if case .directory(let p) = walk(path) { return p }
        return nil
    }

    private enum Walked { case file(Resolved), directory(String) }

    private func walk(_ path: String) -> Walked? {
        var pending = path.split(separator: "/").map(String.init)
        var current = ""
        var hops = 0
        while !pending.isEmpty {
            let part = pending.removeFirst()
            if part == "." || part.isEmpty { continue }
            if part == ".." {
                current = String(current[..<(current.lastIndex(of: "/") ?? current.startIndex)])
                continue
            }
            let candidate = current + "/" + part
            if case .some((let p, .symlink(let target))) = plan.entry(of: candidate), p == candidate {
                hops += 1
                guard hops <= 40 else { return nil }
                pending = target.split(separator: "/").map(String.init) + pending
                if target.hasPrefix("/") { current = "" }
                continue
            }
            if case .some((let p, .sealedFile(let fd))) = plan.entry(of: candidate), p == candidate {
                guard pending.isEmpty else { return nil }
                return .file(Resolved(sandboxPath: candidate, hostPath: "/proc/self/fd/\(fd)", executable: true, sealedFD: fd))
            }
            guard let host = plan.hostPath(of: candidate) else {
                // A directory the plan creates on the root tmpfs to hold deeper mounts.
                guard plan.isIntermediateDirectory(candidate) else { return nil }
                current = candidate
                continue
            }
            switch fs.kind(of: host) {
            case .symlink(let target):
                hops += 1
                guard hops <= 40 else { return nil }
                pending = target.split(separator: "/").map(String.init) + pending
                if target.hasPrefix("/") { current = "" }
            case .missing, .other:
                return nil
            case .directory:
                current = candidate
            case .file(let executable):
                guard pending.isEmpty else { return nil }
                return .file(Resolved(sandboxPath: candidate, hostPath: host, executable: executable))
            }
        }
        return .directory(current.isEmpty ? "/" : current)
    }

    /// Locates the command (absolute or via PATH) as an executable regular file.
    public func locate(_ command: String, searchPath: String) throws(WardenError) -> Resolved {
        if command.contains("/") {
            let abs = command.hasPrefix("/") ? command : "/" + command
            guard let r = resolve(abs) else {
                throw .notFound("sandbox.command_not_found", "'\(command)' does not exist inside the sandbox")
            }
            guard r.executable else {
                throw .denied("sandbox.command_not_executable", "'\(command)' is not executable")
            }
            return r
        }
        for dir in searchPath.split(separator: ":") where dir.hasPrefix("/") {
            if let r = resolve(String(dir) + "/" + command), r.executable { return r }
        }
        throw .notFound("sandbox.command_not_found", "'\(command)' was not found in the sandbox PATH")
    }

    /// Every file the kernel executes to start `program`: itself, then interpreters.
    public func executionChain(of program: Resolved) -> [Resolved] {
        var chain = [program]
        var next: Resolved? = program
        var depth = 0
        while let current = next, depth < 4 {
            depth += 1
            next = nil
            let bytes = if let fd = current.sealedFD { fs.sealedFile(fd, headLimit: 4096)?.head } else { fs.head(of: current.hostPath, limit: 4096) }
            guard let head = bytes else { break }
            if let interp = ELFInspector.interpreter(head) ?? ELFInspector.shebang(head), let r = resolve(interp) {
                if !chain.contains(r) { chain.append(r) }
                next = r
            }
        }
        return chain
    }
}

/// Pure parsing of the first bytes of an executable.
public enum ELFInspector {
    /// PT_INTERP of a 64-bit little-endian ELF whose headers fit in `bytes`.
    public static func interpreter(_ bytes: [UInt8]) -> String? {
        guard bytes.count >= 64, bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46,
              bytes[4] == 2, bytes[5] == 1 else { return nil }
        func u16(_ o: Int) -> Int? { o + 2 <= bytes.count ? Int(bytes[o]) | Int(bytes[o + 1]) << 8 : nil }
        func u64(_ o: Int) -> Int? {
            guard o + 8 <= bytes.count else { return nil }
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(bytes[o + i]) << (8 * UInt64(i)) }
            return v > UInt64(Int.max) ? nil : Int(v)
        }
        guard let phoff = u64(32), let phentsize = u16(54), let phnum = u16(56), phentsize >= 56 else { return nil }
        for i in 0..<phnum {
            let (base, overflow) = phoff.addingReportingOverflow(i * phentsize)
            guard !overflow, base + 56 <= bytes.count, bytes[base] == 3, bytes[base + 1] == 0,
                  bytes[base + 2] == 0, bytes[base + 3] == 0 else { continue }
            guard let off = u64(base + 8), let size = u64(base + 32), size > 1, size <= 4096,
                  off <= bytes.count, size <= bytes.count - off else { return nil }
            let raw = bytes[off..<(off + size)].prefix { $0 != 0 }
            let s = String(decoding: raw, as: UTF8.self)
            return s.hasPrefix("/") ? s : nil
        }
        return nil
    }

    /// The interpreter path of a `#!` script.
    public static func shebang(_ bytes: [UInt8]) -> String? {
        guard bytes.count > 2, bytes[0] == 0x23, bytes[1] == 0x21 else { return nil }
        let line = bytes[2...].prefix { $0 != 0x0a }
        let text = String(decoding: line, as: UTF8.self)
        guard let first = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).first,
              first.hasPrefix("/") else {
            return nil
        }
        return String(first)
    }
}
