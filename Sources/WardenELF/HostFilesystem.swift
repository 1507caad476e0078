#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real filesystem behind `LibraryResolver`'s closures, for callers that resolve the
/// host's libraries (tests use fakes instead).
public enum HostFilesystem {
    /// realpath(3) of `path` when it names a regular file (after symlinks), else nil.
    public static func canonicalRegularFile(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        var st = stat()
        guard stat(resolved, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return String(cString: resolved)
    }

    /// Parses the file at `path` with `pread`, reading only what the parser asks for.
    public static func loadImage(_ path: String) -> Result<ELFImage, ELFError> {
        Result { () throws(ELFError) -> ELFImage in try ELFImage(source: ELFFileSource(path: path)) }
    }
}

extension LibraryResolver {
    /// A resolver over the host: its /etc/ld.so.cache (none if it cannot be read), its
    /// default directories, realpath and pread.
    public static func host(cachePath: String = LDCache.defaultPath) -> LibraryResolver {
        LibraryResolver(cache: try? LDCache(path: cachePath),
                        canonicalPath: HostFilesystem.canonicalRegularFile, load: HostFilesystem.loadImage)
    }
}
