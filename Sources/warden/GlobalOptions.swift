import ArgumentParser
import Foundation
import WardenCore
import WardenHome

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Warden home directory (default: $WARDEN_HOME, else ~/.warden).")
    var home: String?

    /// Opens (creating on first use) the home directory.
    func openHome() throws(WardenError) -> Home {
        try Home.open(at: Home.resolvePath(explicit: home, environment: ProcessInfo.processInfo.environment))
    }

    /// Opens the home and its database.
    func openDatabase() throws(WardenError) -> (Home, WardenDatabase) {
        let h = try openHome()
        return (h, try WardenDatabase(home: h))
    }
}
