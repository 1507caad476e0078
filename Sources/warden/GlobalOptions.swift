import ArgumentParser
import Foundation
import WardenCore
import WardenHome

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Warden home directory (default: $WARDEN_HOME, else ~/.warden).")
    var home: String?

    /// Opens (creating on first use) the home directory.
    func openHome() throws(WardenError) -> Home { try Self.openHome(home) }

    /// Opens the home and its database.
    func openDatabase() throws(WardenError) -> (Home, WardenDatabase) { try Self.openDatabase(home) }

    /// The home named by `--home` (nil: $WARDEN_HOME, else ~/.warden), for the fast paths
    /// that do not go through ArgumentParser.
    static func openHome(_ explicit: String?) throws(WardenError) -> Home {
        try Home.open(at: Home.resolvePath(explicit: explicit, environment: ProcessInfo.processInfo.environment))
    }

    static func openDatabase(_ explicit: String?) throws(WardenError) -> (Home, WardenDatabase) {
        let h = try openHome(explicit)
        return (h, try WardenDatabase(home: h))
    }
}
