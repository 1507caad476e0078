#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import WardenCore
import WardenELF

/// Every place code may run from in one sandbox: what the kernel may `execve` (Landlock's
/// EXECUTE right) and what may be mapped executable (the view's only exec-capable mounts,
/// `MountPlan.confineExecution`). The second is the first plus each ELF program's libraries
/// (its `DT_NEEDED` closure, as ld.so would find them in the view) and allowed directories.
public struct ExecutionSet: Sendable, Equatable {
    /// Sandbox paths that get EXECUTE: the program, its interpreters, `--allow-exec` entries.
    public var executables: [String] = []
    /// Sandbox paths mounted executable: `executables` and the libraries they load.
    public var mapped: [String] = []
    /// `DT_NEEDED` libraries the view does not hold: "name (needed by PATH)". The run goes
    /// ahead (ld.so then names the library itself); the report lists them.
    public var missing: [String] = []
}

extension ExecutableResolver {
    /// The execution set for `program` and the `--allow-exec` entries.
    public func executionSet(program: Resolved, allowExec: [String], allowLoad: [String] = []) throws(WardenError) -> ExecutionSet {
        var set = ExecutionSet()
        var files: [Resolved] = []
        func add(_ chain: [Resolved]) {
            for r in chain where !set.executables.contains(r.sandboxPath) {
                set.executables.append(r.sandboxPath)
                files.append(r)
            }
        }
        add(executionChain(of: program))
        var directories: [String] = []
        for entry in allowExec {
            if let r = resolve(entry) {
                add(executionChain(of: r))
            } else if let dir = resolveDirectory(entry) {
                if !set.executables.contains(dir) { set.executables.append(dir) }
                directories.append(dir)
            } else {
                throw .notFound("sandbox.allow_exec_missing", "--allow-exec '\(entry)' does not exist inside the sandbox")
            }
        }
        set.mapped = set.executables
        // Loadable only: mapped executable, never given EXECUTE.
        for entry in allowLoad {
            if let r = resolve(entry) {
                if !set.mapped.contains(r.sandboxPath) { set.mapped.append(r.sandboxPath) }
                files.append(r)
            } else if let dir = resolveDirectory(entry) {
                if !set.mapped.contains(dir) { set.mapped.append(dir) }
                directories.append(dir)
            } else {
                throw .notFound("sandbox.allow_load_missing", "--allow-load '\(entry)' does not exist inside the sandbox")
            }
        }
        let libraries = LibraryResolver(cache: ldCache(), canonicalPath: { self.resolve($0)?.sandboxPath },
                                        load: { self.image(at: $0) })
        // An allowed directory holds plugins (Python extension modules, a tool's own
        // libraries): what they need is made executable too, as far as a bounded walk finds.
        let plugins = directories.flatMap { sharedObjects(under: $0) }
        for (path, image) in files.compactMap({ f in (try? image(of: f).get()).map { (f.sandboxPath, $0) } }) + plugins {
            let closure = libraries.closure(of: image, at: path)
            for lib in closure.libraries {
                for p in lib.paths where !set.mapped.contains(p) { set.mapped.append(p) }
            }
            for m in closure.missing { set.missing.append("\(m.name) (needed by \(m.neededBy))") }
        }
        return set
    }

    /// Most files looked at below one allowed directory, and how deep.
    static let pluginScanLimit = 4096, pluginScanDepth = 8

    /// The dynamically linked ELF files below the sandbox directory `dir` (bounded walk,
    /// symlinks not followed: a link's target is allowed only if it lies inside, and then the
    /// walk meets it there).
    func sharedObjects(under dir: String) -> [(String, ELFImage)] {
        guard let host = plan.hostPath(of: dir) else { return [] }
        var found: [(String, ELFImage)] = []
        var pending: [(host: String, sandbox: String, depth: Int)] = [(host, dir, 0)]
        var seen = 0
        while let next = pending.popLast(), seen < Self.pluginScanLimit {
            guard let d = opendir(next.host) else { continue }
            defer { closedir(d) }
            while let entry = readdir(d), seen < Self.pluginScanLimit {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                guard name != ".", name != ".." else { continue }
                seen += 1
                let h = next.host + "/" + name, sb = (next.sandbox == "/" ? "" : next.sandbox) + "/" + name
                switch Int32(entry.pointee.d_type) {
                case Int32(DT_DIR) where next.depth < Self.pluginScanDepth: pending.append((h, sb, next.depth + 1))
                case Int32(DT_REG):
                    guard let head = fs.head(of: h, limit: 4), ELFImage.looksLikeELF(head),
                          let source = try? ELFFileSource(path: h), let image = try? ELFImage(source: source),
                          !image.needed.isEmpty else { continue }
                    found.append((sb, image))
                default: continue
                }
            }
        }
        return found
    }

    /// The ELF image of a sandbox path (through the host file backing it).
    func image(at sandboxPath: String) -> Result<ELFImage, ELFError> {
        guard let r = resolve(sandboxPath) else { return .failure(ELFError(code: "elf.missing", message: "\(sandboxPath) is not in the view")) }
        return image(of: r)
    }

    func image(of file: Resolved) -> Result<ELFImage, ELFError> {
        do throws(ELFError) {
            let source = try ELFFileSource(path: file.hostPath)
            return .success(try ELFImage(source: source))
        } catch {
            return .failure(error)
        }
    }

    /// The view's /etc/ld.so.cache, parsed once per content (inode, size, mtime).
    func ldCache() -> LDCache? {
        guard let r = resolve("/etc/ld.so.cache"), let stamp = FileStamp(r.hostPath) else { return nil }
        return LDCacheMemo.shared.withLock { memo -> LDCache? in
            if let hit = memo, hit.stamp == stamp { return hit.cache }
            // Read to its size (never a buffer of the cap's size: 16 MiB zeroed per run).
            guard let cache = try? LDCache(path: r.hostPath) else { return nil }
            memo = (stamp, cache)
            return cache
        }
    }
}

/// One parsed ld.so.cache per process, replaced when the file changes.
enum LDCacheMemo {
    static let shared = Mutex<(stamp: FileStamp, cache: LDCache)?>(nil)
}

/// What identifies one version of a file well enough to reuse what was parsed from it.
struct FileStamp: Equatable, Sendable {
    let device: UInt64, inode: UInt64, size: Int64, seconds: Int, nanoseconds: Int

    init?(_ path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        seconds = st.st_mtim.tv_sec
        nanoseconds = st.st_mtim.tv_nsec
    }
}
