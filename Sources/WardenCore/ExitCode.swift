/// Process exit statuses shared by every `warden` command (documented in README.md).
///
/// `exec` and `run` pass the confined program's own status through; these are the
/// values Warden itself uses.
public enum WardenExit {
    public static let success: Int32 = 0
    /// The confined program ran past its wall-clock limit.
    public static let timeout: Int32 = 124
    /// Usage, configuration or input error (bad flag, unreadable file, malformed document).
    public static let usage: Int32 = 125
    /// Denied: verification, authorization, policy, or a confinement that cannot be set up.
    public static let denied: Int32 = 126
    /// The tool or program was not found.
    public static let notFound: Int32 = 127
    /// Killed by signal N exits as 128 + N.
    public static func signaled(_ signal: Int32) -> Int32 { 128 + signal }
}
