import Foundation
import WardenCore

/// The Warden home directory (`--home`, `$WARDEN_HOME`, default `~/.warden`).
///
/// Layout: `keys/` (private keys, 0600), `artifacts/sha256/<hex>` (read-only blobs),
/// `policies/`, `warden.db` (SQLite: trust store, armory, authorizations, budgets, nonces,
/// approvals, ledger). Created on first use with mode 0700; a home that other users can
/// write to is refused, because whoever can write it can replace keys and policies.
public struct Home: Sendable {
    public let root: String

    public var keysDirectory: String { root + "/keys" }
    public var artifactsDirectory: String { root + "/artifacts/sha256" }
    public var policiesDirectory: String { root + "/policies" }
    public var databasePath: String { root + "/warden.db" }
    /// Rebuildable caches (deny-glob directory listings); safe to delete.
    public var cacheDirectory: String { root + "/cache" }

    /// Chooses the home path: the explicit flag, else `$WARDEN_HOME`, else `~/.warden`.
    public static func resolvePath(explicit: String?, environment: [String: String]) -> String {
        let chosen = choose(explicit: explicit) { environment[$0] } ?? NSHomeDirectory() + "/.warden"
        return absolute(chosen)
    }

    /// The home as chosen from the flag and the environment (`lookup`), not yet made absolute;
    /// nil when it would be `~/.warden` and `HOME` is unset or empty. Empty values count as unset.
    public static func choose(explicit: String?, lookup: (String) -> String?) -> String? {
        func nonEmpty(_ s: String?) -> String? { s.flatMap { $0.isEmpty ? nil : $0 } }
        return nonEmpty(explicit) ?? nonEmpty(lookup("WARDEN_HOME")) ?? nonEmpty(lookup("HOME")).map { $0 + "/.warden" }
    }

    /// Opens the home at `path`, creating it and its subdirectories (0700) when missing.
    public static func open(at path: String) throws(WardenError) -> Home {
        let home = Home(root: absolute(path))
        for dir in [home.root, home.keysDirectory, home.root + "/artifacts", home.artifactsDirectory, home.policiesDirectory] {
            try ensureDirectory(dir)
        }
        return home
    }

    private static func absolute(_ path: String) -> String {
        let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        return url.standardizedFileURL.path
    }

    private static func ensureDirectory(_ dir: String) throws(WardenError) {
        var st = stat()
        if lstat(dir, &st) != 0 {
            guard errno == ENOENT else {
                throw .usage("home.unreadable", "\(dir): cannot inspect: \(String(cString: strerror(errno)))")
            }
            guard mkdir(dir, 0o700) == 0 || errno == EEXIST else {
                throw .usage("home.create_failed", "\(dir): cannot create: \(String(cString: strerror(errno)))")
            }
            guard lstat(dir, &st) == 0 else {
                throw .usage("home.unreadable", "\(dir): cannot inspect after creating it")
            }
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw .usage("home.not_directory", "\(dir): exists and is not a directory (symlinks are refused)")
        }
        guard st.st_uid == geteuid() else {
            throw .usage("home.wrong_owner", "\(dir): owned by uid \(st.st_uid), not by the current user \(geteuid())")
        }
        guard st.st_mode & 0o022 == 0 else {
            throw .usage("home.insecure_mode", "\(dir): writable by group or others (mode \(String(st.st_mode & 0o777, radix: 8))); run chmod 0700")
        }
    }
}
