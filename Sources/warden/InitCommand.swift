import ArgumentParser
import WardenCore

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create the Warden home and database (idempotent).")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let (home, db) = try global.openDatabase()
        if json {
            Terminal.json(["home": .string(home.root), "database": .string(db.path)])
        } else {
            print("home: \(home.root)")
            print("database: \(db.path)")
        }
    }
}
