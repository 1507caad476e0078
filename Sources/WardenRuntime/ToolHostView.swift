import WardenPolicy

/// The host as the policy sees it during `warden run`: the live filesystem, plus the admitted
/// artifact at `/tool/<name>` (it exists only inside the sandbox, mounted from the armory).
struct ToolHostView: HostView {
    let base: LiveHostView
    let toolPath: String

    var searchPath: [String] { base.searchPath }

    func realPath(_ path: String) -> String? {
        if path == toolPath || path == "/tool" { return path }
        return base.realPath(path)
    }

    func isExecutableFile(_ path: String) -> Bool {
        path == toolPath || base.isExecutableFile(path)
    }
}
