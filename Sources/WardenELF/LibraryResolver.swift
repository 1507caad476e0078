/// Computes a program's DT_NEEDED closure the way glibc's ld.so searches, without touching
/// the filesystem itself: every look-up goes through the two closures, so tests and the
/// fuzzer can supply a fake filesystem.
///
/// Search order for a name without '/', for an object X (glibc's `_dl_map_object`):
/// 1. if X has no DT_RUNPATH: the DT_RPATH of X, then of the object that loaded X, and so on
///    up to the program (an object with DT_RUNPATH contributes no DT_RPATH);
/// 2. DT_RUNPATH of X;
/// 3. the ld.so.cache (without entries in default directories if X has DF_1_NODEFLIB);
/// 4. the default directories (unless X has DF_1_NODEFLIB).
/// LD_LIBRARY_PATH is ignored: the sandbox controls the environment. In every directory the
/// glibc-hwcaps subdirectories are probed too, each existing one becoming a further path.
/// A candidate for another class or machine, or that is not ELF, is skipped as ld.so skips
/// it; one that is ELF for this host but malformed stops the search and is reported unusable.
/// Relative search directories and relative paths depend on the working directory, so they
/// are reported (`origins`, `missing`) rather than searched.
public struct LibraryResolver {
    public let cache: LDCache?
    public let defaultDirectories: [String]
    /// What $LIB expands to.
    public let lib: String
    /// What $PLATFORM expands to.
    public let platform: String
    public let hwcapsSubdirectories: [String]
    private let canonicalPath: (String) -> String?
    private let load: (String) -> Result<ELFImage, ELFError>

    /// - Parameters:
    ///   - canonicalPath: nil if no regular file is at the path, else the path with symlinks
    ///     resolved.
    ///   - load: parses the (canonical) path.
    ///   - lib: what $LIB expands to. glibc fixes it when built: "lib64" or "lib" upstream,
    ///     "lib/x86_64-linux-gnu" on Debian and Ubuntu (checked on Debian 12, glibc 2.36, with
    ///     LD_DEBUG=libs). nil picks by the layout: the multiarch name when libc.so.6 is in
    ///     /lib/<triplet> or /usr/lib/<triplet>, else "lib64" when it is in /lib64 or
    ///     /usr/lib64, else "lib".
    public init(cache: LDCache?, defaultDirectories: [String] = ELFHost.defaultLibraryDirectories, lib: String? = nil,
                platform: String = ELFHost.platform, hwcapsSubdirectories: [String] = ELFHost.hwcapsSubdirectories,
                canonicalPath: @escaping (String) -> String?, load: @escaping (String) -> Result<ELFImage, ELFError>) {
        self.cache = cache
        self.defaultDirectories = defaultDirectories.map(Self.trimmed)
        self.platform = platform
        self.hwcapsSubdirectories = hwcapsSubdirectories
        self.canonicalPath = canonicalPath
        self.load = load
        self.lib = lib ?? Self.detectLIB(canonicalPath)
    }

    private static func detectLIB(_ canonicalPath: (String) -> String?) -> String {
        let multiarch = "lib/\(ELFHost.multiarchTriplet)"
        if canonicalPath("/\(multiarch)/libc.so.6") != nil || canonicalPath("/usr/\(multiarch)/libc.so.6") != nil { return multiarch }
        if canonicalPath("/lib64/libc.so.6") != nil || canonicalPath("/usr/lib64/libc.so.6") != nil { return "lib64" }
        return "lib"
    }

    /// The interpreter and the DT_NEEDED closure of `image`, found at `path`. The walk follows
    /// DT_NEEDED even without an interpreter, so a shared object's closure can be computed.
    /// Bounded by `ELFLimits.maxLibraries`, `maxDepth` and `maxProbes`; exceeding one is
    /// reported in `unusable` with an empty path.
    public func closure(of image: ELFImage, at path: String) -> LibraryClosure {
        var walk = ClosureWalk(resolver: self)
        walk.run(image: image, path: canonicalPath(path) ?? path)
        return walk.result
    }

    // MARK: - Used by ClosureWalk

    func probe(_ path: String) -> String? { canonicalPath(path) }
    func image(at path: String) -> Result<ELFImage, ELFError> { load(path) }

    /// ld.so drops trailing slashes from search directories (except "/").
    static func trimmed(_ directory: String) -> String {
        var d = Substring(directory)
        while d.count > 1, d.hasSuffix("/") { d = d.dropLast() }
        return String(d)
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
