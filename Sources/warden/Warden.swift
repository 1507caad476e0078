import ArgumentParser
import Foundation
import WardenCore

/// The `warden` command line: parse, call the stage libraries, print. Every command maps
/// failures to the exit codes in `WardenExit`.
@main
struct Warden: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warden",
        abstract: "Run untrusted tools only when signed, authorized, within policy, confined, and on the record.",
        subcommands: [
            InitCommand.self,
            KeyCommand.self,
            ToolCommand.self,
            PolicyCommand.self,
            ApprovalsCommand.self,
            ApproveCommand.self,
            DenyCommand.self,
            ExecCommand.self,
            DoctorCommand.self,
            AuditCommand.self,
            RunCommand.self,
            ServeCommand.self,
        ]
    )

    static func main() async {
        ExecFastPath.runIfApplicable(Array(CommandLine.arguments.dropFirst()))
        RunClient.runIfServed(Array(CommandLine.arguments.dropFirst()))
        await RunFastPath.runIfApplicable(Array(CommandLine.arguments.dropFirst()))
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as WardenError {
            Terminal.error(error)
            Foundation.exit(error.exitCode)
        } catch let error as ExitCode {
            Foundation.exit(error.rawValue)
        } catch {
            // Argument-parser errors: help and version exit 0, everything else is usage (125).
            let code = exitCode(for: error)
            let text = fullMessage(for: error)
            if code == .success {
                print(text)
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((text + "\n").utf8))
            Foundation.exit(WardenExit.usage)
        }
    }
}
