import WardenTestSupport

/// The acceptance suite's names for the shared runner: the built `warden` binary, run as a
/// user would (a real process, a real home, real files).
enum WardenProcess {
    typealias Result = TestProcess.Result
    static var binary: String { TestProcess.wardenBinary }

    static func exec(_ executable: String, _ args: [String], cwd: String, environment: [String: String]) throws -> Result {
        try TestProcess.run(executable, args, cwd: cwd, environment: environment)
    }
}
