#if canImport(Glibc)
import Glibc
#endif

/// Per-run directories (cgroups) carry the creating Warden's pid in their name,
/// so a later run can remove what a killed Warden left behind.
enum StaleRuns {
    /// Removes (rmdir: empty ones only) entries of `directory` named `<prefix><pid>-<rest>`
    /// whose pid no longer exists.
    static func collect(in directory: String, prefix: String) {
        guard let dir = opendir(directory) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.hasPrefix(prefix),
                  let pidText = name.dropFirst(prefix.count).split(separator: "-", maxSplits: 1).first,
                  let pid = Int32(pidText), pid > 0 else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { rmdir(directory + "/" + name) }
        }
    }
}
