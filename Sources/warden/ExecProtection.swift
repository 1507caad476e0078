import Foundation
import WardenCore
import WardenHome
import WardenPolicy

/// What `warden exec` keeps from the program beyond its flags: Warden's homes (the one chosen
/// and the default one, which exist whether or not this command opens them) and the nested
/// `.git` directories of its writable trees, found with the deny-glob walker.
enum ExecProtection {
    /// The chosen home (`--home`, `$WARDEN_HOME`, `~/.warden`) and `~/.warden`, deduplicated.
    static func homes(explicit: String?) -> [String] {
        let env = ProcessInfo.processInfo.environment
        var out = [Home.resolvePath(explicit: explicit, environment: env)]
        if let h = env["HOME"], !h.isEmpty, !out.contains(h + "/.warden") { out.append(h + "/.warden") }
        return out
    }

    /// Sandbox paths of existing `.git` directories below the top of each writable tree
    /// (`source`, `destination`), unless `.git` is unprotected. Uses the home's deny-glob cache
    /// when the home exists.
    static func nestedProtected(writable: [(String, String)], unprotectGit: Bool, cacheHome: String?) throws(WardenError) -> [String] {
        guard !writable.isEmpty, !unprotectGit else { return [] }
        var isDir: ObjCBool = false
        let cache = cacheHome.flatMap { FileManager.default.fileExists(atPath: $0, isDirectory: &isDir) && isDir.boolValue ? $0 + "/cache" : nil }
        var out: [String] = []
        for (source, destination) in writable {
            guard let real = realpath(source, nil) else { continue }
            let root = String(cString: real)
            free(real)
            for hit in try DenyGlobMasker.expand(PathGlob.nestedGit, under: [root], cacheDirectory: cache)
            where hit != root + "/.git" && hit.hasPrefix(root + "/") {
                out.append(destination + hit.dropFirst(root.count))
            }
        }
        return out
    }
}
