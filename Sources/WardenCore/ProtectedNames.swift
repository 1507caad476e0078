/// What stays read-only at the top of every writable tree (`SandboxSpec.protectedNames`): the
/// files another program on the host later *runs* or *trusts*, so that a tool with a writable
/// workspace cannot plant code that runs unconfined when the user types `git commit`, opens
/// the folder in an editor, starts an agent there, or logs in. Existing entries are bound
/// read-only over themselves (they stay readable); absent ones are masked, so they cannot be
/// created (docs/SANDBOX.md, "Protected paths"). Pure.
public enum ProtectedNames {
    /// Protected at the top of every writable tree.
    public static let workspace: [String] = [
        ".git",                                   // hooks, config (core.hooksPath, core.fsmonitor, aliases)
        ".envrc",                                 // direnv
        ".mcp.json", ".claude", ".cursor", ".codex", ".gemini", ".aider.conf.yml", // agent configs
        ".vscode", ".idea",                       // editor tasks, launch files, settings
    ]

    /// Protected only at the top of a tree that is a user's home directory, where shells,
    /// ssh, git and the desktop read them.
    public static let home: [String] = [
        ".bashrc", ".bash_profile", ".bash_login", ".bash_logout", ".profile",
        ".zshrc", ".zshenv", ".zprofile", ".zlogin", ".zlogout",
        ".gitconfig", ".ssh", ".gnupg", ".warden", ".local/bin", ".config/git", ".config/autostart",
        ".config/systemd",
    ]

    /// The default list: every entry, each marked with where it applies.
    public static let defaults: [String] = workspace + home

    /// Every `.git` below the top of a writable tree (nested repositories), kept read-only where
    /// it exists when the run starts (a `PathGlob` pattern; expanded with the deny-glob walker).
    public static let nestedGitGlob = "**/.git"

    /// True for the names that apply only to home directories.
    public static func homeOnly(_ name: String) -> Bool { home.contains(name) }

    /// Validates one `--unprotect` / `filesystem.unprotect` entry: it must name a default
    /// entry exactly (a protection is dropped only by naming it).
    public static func isDefault(_ name: String) -> Bool { defaults.contains(name) }
}
