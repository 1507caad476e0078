import Foundation

/// The real filesystem of this host, as the CLI uses it: `realpath(3)` and `stat(2)`.
public struct LiveHostView: HostView {
    public let searchPath: [String]

    /// `searchPath` defaults to the PATH Warden gives sandboxed programs.
    public init(searchPath: [String] = LiveHostView.sandboxPath) {
        self.searchPath = searchPath
    }

    /// The PATH inside the sandbox (fixed; the caller's PATH is never inherited).
    public static let sandboxPath = ["/usr/local/bin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/sbin", "/sbin"]

    public func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    public func isExecutableFile(_ path: String) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        return (st.st_mode & S_IFMT) == S_IFREG && (st.st_mode & 0o111) != 0
    }
}
