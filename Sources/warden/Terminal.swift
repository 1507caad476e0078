import Foundation
import WardenCore

/// Output helpers: one line per error on stderr, JSON on stdout for `--json`.
enum Terminal {
    static func error(_ error: WardenError) {
        FileHandle.standardError.write(Data("warden: error: \(error.message) [\(error.code)]\n".utf8))
    }

    static func warn(_ text: String) {
        FileHandle.standardError.write(Data("warden: \(text)\n".utf8))
    }

    /// Prints `value` as canonical JSON on one line.
    static func json(_ value: JSONValue) {
        print(CanonicalJSON.string(value))
    }
}
