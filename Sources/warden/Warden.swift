import ArgumentParser
import Foundation
import WardenCore

/// The process entry point. The plain `exec` and served `run` calls are handled before Swift
/// concurrency starts; everything else runs on a task while the main thread waits.
///
/// Not an `async` main: the runtime would hand the main thread to `dispatch_main`, which ends
/// it with `pthread_exit`, a forced unwind. In the fully static binary (scripts/build-release.sh)
/// the first unwind sorts every unwind-table entry of the 110 MB image (crtbeginT registers
/// them; there is no `PT_GNU_EH_FRAME` lookup): about 30 ms of CPU per command, and a lock
/// other threads then wait on.
@main
enum WardenMain {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        ExecFastPath.runIfApplicable(arguments)
        RunClient.runIfServed(arguments)
        let finished = DispatchSemaphore(value: 0)
        Task.detached {
            await Warden.main(arguments)
            finished.signal()
        }
        finished.wait()
    }
}

/// The `warden` command line: parse, call the stage libraries, print. Every command maps
/// failures to the exit codes in `WardenExit`.
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

    static func main(_ arguments: [String]) async {
        await RunFastPath.runIfApplicable(arguments)
        do {
            var command = try parseAsRoot(arguments)
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
