import Foundation
import Testing
import WardenCore

extension SandboxEndToEnd {
/// Warden's own home never reaches a sandbox, and a writable tree is no way out: its protected
/// entries (`.git`, agent and editor configs, ...) stay read-only, absent ones cannot be
/// created, and writable system directories are refused. Each attack has its allowed control.
@Suite("Escape suite: self-protection")
struct SelfProtectionTests {
    /// A tree owned by the sandbox's caller in `mode` (root: root; rootless: uid 65534).
    static func tree(_ mode: Harness.Mode, _ name: String) throws -> String {
        try Harness.tempDir(name, owner: mode == .root ? 0 : 65534)
    }

    static func write(_ path: String, _ text: String, owner: Harness.Mode, mode: mode_t = 0o644) throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, mode)
        let id: uid_t = owner == .root ? 0 : 65534
        chown(path, id, id)
    }

    static func mkdir(_ path: String, owner: Harness.Mode) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let id: uid_t = owner == .root ? 0 : 65534
        chown(path, id, id)
    }

    /// A home-like directory with a key and a database, inside `parent`.
    static func fakeHome(in parent: String, _ mode: Harness.Mode) throws -> String {
        let home = parent + "/.warden"
        try mkdir(home + "/keys", owner: mode)
        try write(home + "/keys/runner.pem", "-----BEGIN PRIVATE KEY-----\nsecret\n", owner: mode, mode: 0o600)
        try write(home + "/warden.db", "db", owner: mode, mode: 0o600)
        try write(home + "/warden.db-wal", "wal", owner: mode, mode: 0o600)
        return home
    }

    @Test(arguments: Harness.Mode.allCases)
    func homeBelowAWritableTreeIsMasked(mode: Harness.Mode) throws {
        let t = try Self.tree(mode, "proj")
        let home = try Self.fakeHome(in: t, mode)
        let flags = ["--rw", t, "--home", home]
        for path in [home + "/keys/runner.pem", home + "/warden.db", home + "/warden.db-wal"] {
            let r = try Harness.probe(mode, flags: flags, ["read", path])
            #expect(r.verdict.hasPrefix("err"), "\(path): \(r.stdout) \(r.stderr)")
            let w = try Harness.probe(mode, flags: flags, ["write", path])
            #expect(w.verdict.hasPrefix("err"), "\(path): \(w.stdout) \(w.stderr)")
        }
        #expect(try Harness.probe(mode, flags: flags, ["mkdir", home + "/keys2"]).verdict.hasPrefix("err"))
        #expect(try Harness.probe(mode, flags: flags, ["rename", home, t + "/moved"]).verdict.hasPrefix("err"))
        // Control: the rest of the tree stays readable and writable.
        let ok = try Harness.probe(mode, flags: flags, ["write", t + "/result.txt"])
        #expect(ok.verdict.hasPrefix("ok"), "\(ok.stdout) \(ok.stderr)")
        #expect((try? String(contentsOfFile: home + "/keys/runner.pem", encoding: .utf8)) == "-----BEGIN PRIVATE KEY-----\nsecret\n")
        #expect((try? String(contentsOfFile: home + "/warden.db", encoding: .utf8)) == "db")
        // Read-only trees too (rootless, the tool has the caller's uid: a read-only tree holding
        // the home would otherwise hand over every key).
        let ro = try Harness.probe(mode, flags: ["--ro", t + ":/p", "--home", home], ["read", "/p/.warden/keys/runner.pem"])
        #expect(ro.verdict.hasPrefix("err"), "\(ro.stdout) \(ro.stderr)")
        #expect(try Harness.probe(mode, flags: ["--ro", t + ":/p", "--home", home], ["read", "/p/result.txt"]).verdict.hasPrefix("ok"))
    }

    /// As root, the sandbox's setup runs as an unprivileged mapped uid: a home inside a
    /// directory only the host's root may search (root's own 0700 home, where the default
    /// `~/.warden` lives) cannot be reached to be masked. The directory in the way is hidden
    /// instead (an empty, read-only, mode 0000 tmpfs), and the run goes ahead.
    @Test func aHomeBehindADirectoryTheSandboxCannotSearchIsHiddenWithIt() throws {
        let t = try Self.tree(.root, "walled")
        let wall = t + "/wall"
        try Self.mkdir(wall, owner: .root)
        let home = try Self.fakeHome(in: wall, .root)
        chown(wall, 0, 0)
        chmod(wall, 0o700)
        let flags = ["--ro", t + ":/p", "--home", home]
        let r = try Harness.probe(.root, flags: flags, ["read", "/p/wall/.warden/keys/runner.pem"])
        #expect(r.verdict.hasPrefix("err"), "\(r.stdout) \(r.stderr)")
        let create = try Harness.probe(.root, flags: flags, ["create", "/p/wall/new"])
        #expect(create.verdict.hasPrefix("err"), "the hidden wall is read-only: \(create.stdout) \(create.stderr)")
        // Control: the run itself works and the rest of the tree reads.
        try "x".write(toFile: t + "/open.txt", atomically: true, encoding: .utf8)
        chmod(t + "/open.txt", 0o644)
        let ok = try Harness.probe(.root, flags: flags, ["read", "/p/open.txt"])
        #expect(ok.verdict.hasPrefix("ok"), "\(ok.stdout) \(ok.stderr)")
    }

    @Test(arguments: Harness.Mode.allCases)
    func aTreeThatIsOrLiesInsideTheHomeIsRefused(mode: Harness.Mode) throws {
        let t = try Self.tree(mode, "proj")
        let home = try Self.fakeHome(in: t, mode)
        for source in [home, home + "/keys", home + "/keys/runner.pem"] {
            for flag in ["--ro", "--rw"] {
                let r = try Harness.exec(mode, flags: [flag, source + ":/x", "--home", home], ["/bin/true"])
                #expect(r.status == 126, "\(flag) \(source): \(r.status) \(r.stderr)")
                #expect(r.stderr.contains("sandbox.mount_source_protected"), "\(r.stderr)")
            }
        }
        try Self.mkdir(t + "/src", owner: mode)
        #expect(try Harness.exec(mode, flags: ["--ro", t + "/src:/x", "--home", home], ["/bin/true"]).status == 0)
    }

    /// The same home reached through a symlink, through `..`-free aliases and through a bind
    /// mount of its parent: decided on the filesystem location, not the spelling.
    @Test(arguments: Harness.Mode.allCases)
    func aliasesOfTheHomeAreRecognized(mode: Harness.Mode) throws {
        let t = try Self.tree(mode, "proj")
        let home = try Self.fakeHome(in: t, mode)
        // A symlinked parent: `<dir>-link/<name>` is `t`.
        let parent = (t as NSString).deletingLastPathComponent, name = (t as NSString).lastPathComponent
        let linkDir = parent + "-link-" + UUID().uuidString.prefix(6)
        try FileManager.default.createSymbolicLink(atPath: linkDir, withDestinationPath: parent)
        defer { try? FileManager.default.removeItem(atPath: linkDir) }
        let link = linkDir + "/" + name
        let viaLink = try Harness.probe(mode, flags: ["--ro", link + ":/p", "--home", home], ["read", "/p/.warden/keys/runner.pem"])
        #expect(viaLink.verdict.hasPrefix("err"), "\(viaLink.stdout) \(viaLink.stderr)")
        let homeViaLink = try Harness.probe(mode, flags: ["--ro", t + ":/p", "--home", link + "/.warden"], ["read", "/p/.warden/warden.db"])
        #expect(homeViaLink.verdict.hasPrefix("err"), "\(homeViaLink.stdout) \(homeViaLink.stderr)")
        let refused = try Harness.exec(mode, flags: ["--ro", link + "/.warden/keys:/k", "--home", home], ["/bin/true"])
        #expect(refused.stderr.contains("sandbox.mount_source_protected"), "\(refused.stderr)")

        // A bind mount of the parent made on the host: /alias/.warden is the home.
        let alias = try Harness.tempDir("alias")
        let m = Harness.raw("/bin/mount", ["--bind", t, alias])
        guard m.status == 0 else { Issue.record("mount --bind: \(m.stderr)"); return }
        defer { _ = Harness.raw("/bin/umount", ["-l", alias]) }
        let viaBind = try Harness.probe(mode, flags: ["--ro", alias + ":/p", "--home", home], ["read", "/p/.warden/keys/runner.pem"])
        #expect(viaBind.verdict.hasPrefix("err"), "\(viaBind.stdout) \(viaBind.stderr)")
        let bindInside = try Harness.exec(mode, flags: ["--ro", alias + "/.warden/keys:/k", "--home", home], ["/bin/true"])
        #expect(bindInside.status == 126 && bindInside.stderr.contains("sandbox.mount_source_protected"), "\(bindInside.stderr)")
        let control = try Harness.probe(mode, flags: ["--ro", alias + ":/p", "--home", home], ["chdir", "/p"])
        #expect(control.verdict.hasPrefix("ok"), "\(control.stdout) \(control.stderr)")
    }

    /// A repository as the writable workspace: git's hooks and config stay read-only, by
    /// every route (write, create, rename, hard link, symlink, openat2), while ordinary files
    /// stay writable and the repository stays readable.
    @Test(arguments: Harness.Mode.allCases)
    func gitMetadataInAWritableTreeStaysReadOnly(mode: Harness.Mode) throws {
        let t = try Self.tree(mode, "repo")
        try Self.mkdir(t + "/.git/hooks", owner: mode)
        try Self.write(t + "/.git/config", "[core]\n\trepositoryformatversion = 0\n", owner: mode)
        try Self.write(t + "/.git/HEAD", "ref: refs/heads/main\n", owner: mode)
        try Self.write(t + "/code.txt", "code\n", owner: mode)
        let flags = ["--rw", t]
        let attacks: [[String]] = [
            ["write", t + "/.git/config"], ["write", t + "/.git/hooks/pre-commit"], ["mkdir", t + "/.git/hooks/x"],
            ["rename", t + "/.git", t + "/git-moved"], ["rename", t + "/code.txt", t + "/.git/hooks/pre-commit"],
            ["link", t + "/code.txt", t + "/.git/hooks/post-checkout"], ["symlink", "/tmp", t + "/.git/hooks/post-merge"],
            ["rmdir", t + "/.git/hooks"], ["unlink", t + "/.git/config"], ["openat2-write", t + "/.git/hooks/pre-push"],
        ]
        for a in attacks {
            let r = try Harness.probe(mode, flags: flags, a)
            #expect(r.verdict.hasPrefix("err"), "\(a): \(r.stdout) \(r.stderr)")
        }
        #expect((try? String(contentsOfFile: t + "/.git/config", encoding: .utf8)) == "[core]\n\trepositoryformatversion = 0\n")
        #expect(!FileManager.default.fileExists(atPath: t + "/.git/hooks/pre-commit"))
        #expect(FileManager.default.fileExists(atPath: t + "/code.txt"))
        // Controls: the repository reads, and the work tree writes, renames and links.
        #expect(try Harness.probe(mode, flags: flags, ["read", t + "/.git/HEAD"]).verdict.hasPrefix("ok"))
        #expect(try Harness.probe(mode, flags: flags, ["write", t + "/code.txt"]).verdict.hasPrefix("ok"))
        #expect(try Harness.probe(mode, flags: flags, ["rename", t + "/code.txt", t + "/renamed.txt"]).verdict.hasPrefix("ok"))
        #expect(try Harness.probe(mode, flags: flags, ["link", t + "/renamed.txt", t + "/linked.txt"]).verdict.hasPrefix("ok"))
        // Unprotecting by name makes it writable (and nothing else changes).
        let un = try Harness.probe(mode, flags: flags + ["--unprotect", ".git"], ["write", t + "/.git/config"])
        #expect(un.verdict.hasPrefix("ok"), "\(un.stdout) \(un.stderr)")
        let bad = try Harness.exec(mode, flags: flags + ["--unprotect", "src"], ["/bin/true"])
        #expect(bad.status == 125 && bad.stderr.contains("exec.unprotect_unknown"), "\(bad.stderr)")
    }

    /// Absent protected entries are masked so they cannot be created; the host sees a
    /// placeholder only while the run lasts.
    @Test(arguments: Harness.Mode.allCases)
    func absentProtectedEntriesCannotBeCreated(mode: Harness.Mode) throws {
        let t = try Self.tree(mode, "ws")
        let flags = ["--rw", t]
        for a: [String] in [["mkdir", t + "/.git"], ["write", t + "/.git/config"], ["write", t + "/.vscode/tasks.json"],
                            ["write", t + "/.mcp.json"], ["write", t + "/.envrc"], ["mkdir", t + "/.claude"],
                            ["rename", t + "/x", t + "/.idea"], ["symlink", "/tmp", t + "/.cursor"], ["rmdir", t + "/.vscode"]] {
            let r = try Harness.probe(mode, flags: flags, a)
            #expect(r.verdict.hasPrefix("err"), "\(a): \(r.stdout) \(r.stderr)")
        }
        for name in [".git", ".vscode", ".mcp.json", ".envrc", ".claude", ".idea", ".cursor"] {
            #expect(!FileManager.default.fileExists(atPath: t + "/" + name), "\(name) left on the host")
        }
        // Control: new ordinary entries at the top of the tree are created as usual.
        #expect(try Harness.probe(mode, flags: flags, ["mkdir", t + "/build"]).verdict.hasPrefix("ok"))
        #expect(try Harness.probe(mode, flags: flags, ["write", t + "/notes.md"]).verdict.hasPrefix("ok"))
    }

    /// A placeholder stays while any run uses it (removing it would detach the mask in that
    /// run) and is removed by the last one; one a killed run left is cleaned up by the next.
    @Test(arguments: Harness.Mode.allCases)
    func placeholdersOutliveNoRunThatNeedsThem(mode: Harness.Mode) throws {
        let t = try Self.tree(mode, "shared")
        let held = try Harness.holdingProbe(mode, flags: ["--rw", t], token: "hold-\(UUID().uuidString.prefix(8))")
        defer { kill(held.warden.processIdentifier, SIGKILL); held.warden.waitUntilExit() }
        #expect(FileManager.default.fileExists(atPath: t + "/.vscode"))
        let second = try Harness.probe(mode, flags: ["--rw", t], ["write", t + "/.vscode/settings.json"])
        #expect(second.verdict.hasPrefix("err"), "\(second.stdout)")
        #expect(FileManager.default.fileExists(atPath: t + "/.vscode"), "removed while the first run still needs it")
        kill(held.program, SIGKILL)
        held.warden.waitUntilExit()
        #expect(!FileManager.default.fileExists(atPath: t + "/.vscode"), "the last run did not remove its placeholder")

        // Left by a killed run (empty, mode 0500): reused, then removed. A real empty directory stays.
        let stale = t + "/.idea", real = t + "/.vscode"
        try Self.mkdir(stale, owner: mode)
        chmod(stale, 0o500)
        try Self.mkdir(real, owner: mode)
        #expect(try Harness.probe(mode, flags: ["--rw", t], ["write", stale + "/x"]).verdict.hasPrefix("err"))
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: real))
    }

    /// `core.hooksPath` moves hooks into the work tree; nested repositories have their own `.git`.
    @Test(arguments: Harness.Mode.allCases)
    func gitTargetsAndNestedRepositoriesStayReadOnly(mode: Harness.Mode) throws {
        let t = try Self.tree(mode, "hooks")
        try Self.mkdir(t + "/.git", owner: mode)
        try Self.write(t + "/.git/config", "[core]\n\thooksPath = .githooks\n\tfsmonitor = tools/fsmon.sh\n[alias]\n\tst = !./scripts/st.sh\n", owner: mode)
        try Self.mkdir(t + "/scripts", owner: mode)
        try Self.write(t + "/scripts/st.sh", "#!/bin/sh\n", owner: mode)
        for d in ["/vendor", "/vendor/lib", "/vendor/lib/.git"] { try Self.mkdir(t + d, owner: mode) }
        try Self.write(t + "/vendor/lib/.git/config", "[core]\n", owner: mode)
        let flags = ["--rw", t]
        for a: [String] in [["write", t + "/.githooks/pre-commit"], ["mkdir", t + "/.githooks"], ["write", t + "/scripts/st.sh"],
                            ["write", t + "/tools/fsmon.sh"], ["mkdir", t + "/tools"], ["write", t + "/vendor/lib/.git/config"]] {
            let r = try Harness.probe(mode, flags: flags, a)
            #expect(r.verdict.hasPrefix("err"), "\(a): \(r.stdout) \(r.stderr)")
        }
        #expect(try Harness.probe(mode, flags: flags, ["write", t + "/scripts/other.sh"]).verdict.hasPrefix("ok"))
        #expect(try Harness.probe(mode, flags: flags, ["write", t + "/vendor/lib/code.c"]).verdict.hasPrefix("ok"))
        #expect(try Harness.probe(mode, flags: flags, ["read", t + "/vendor/lib/.git/config"]).verdict.hasPrefix("ok"))
        #expect(!FileManager.default.fileExists(atPath: t + "/.githooks"))
    }

    @Test(arguments: Harness.Mode.allCases)
    func protectedSymlinksAndTreesInsideProtectedEntriesAreRefused(mode: Harness.Mode) throws {
        let t = try Self.tree(mode, "links")
        try FileManager.default.createSymbolicLink(atPath: t + "/.git", withDestinationPath: "/etc")
        let r = try Harness.exec(mode, flags: ["--rw", t], ["/bin/true"])
        #expect(r.status == 126 && r.stderr.contains("sandbox.protected_symlink"), "\(r.stderr)")
        let t2 = try Self.tree(mode, "inner")
        try Self.mkdir(t2 + "/.git/hooks", owner: mode)
        let inner = try Harness.exec(mode, flags: ["--rw", t2 + "/.git/hooks:/h"], ["/bin/true"])
        #expect(inner.status == 126 && inner.stderr.contains("sandbox.tree_protected"), "\(inner.stderr)")
        #expect(try Harness.exec(mode, flags: ["--rw", t2 + "/.git/hooks:/h", "--unprotect", ".git"], ["/bin/true"]).status == 0)
        #expect(try Harness.exec(mode, flags: ["--ro", t2 + "/.git/hooks:/h"], ["/bin/true"]).status == 0)
    }

    /// As root a writable tree acts as its owner: system directories are refused unless asked
    /// for, and then the report names them.
    @Test(arguments: Harness.Mode.allCases)
    func writableSystemTreesAreRefusedUnlessAllowed(mode: Harness.Mode) throws {
        for source in ["/etc", "/usr/local", "/boot", "/root", "/var/lib", "/run", "/"] where FileManager.default.fileExists(atPath: source) {
            let r = try Harness.exec(mode, flags: ["--rw", source + ":/x"], ["/bin/true"])
            #expect(r.status == 126 && r.stderr.contains("sandbox.system_write"), "\(source): \(r.status) \(r.stderr)")
        }
        let allowed = try Harness.exec(mode, flags: ["--rw", "/etc:/x", "--allow-system-writes", "--json"], ["/bin/true"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.report?["enforcement"]?["system_writes"]?.stringValue == "/etc", "\(allowed.stdout)")
        let t = try Self.tree(mode, "plain")
        #expect(try Harness.exec(mode, flags: ["--rw", t], ["/bin/true"]).status == 0)
    }
}
}
