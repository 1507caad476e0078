import Foundation
import WardenCore

/// Output helpers: one line per error on stderr, JSON on stdout for `--json`. Text for a
/// human goes through `DisplayText`: messages quote untrusted input (argv, paths, names).
enum Terminal {
    static func error(_ error: WardenError) {
        FileHandle.standardError.write(Data("warden: error: \(DisplayText.escape(error.message, limit: 2000)) [\(error.code)]\n".utf8))
    }

    static func warn(_ text: String) {
        FileHandle.standardError.write(Data("warden: \(DisplayText.escape(text, limit: 2000))\n".utf8))
    }

    /// Prints `value` as canonical JSON on one line.
    static func json(_ value: JSONValue) {
        print(CanonicalJSON.string(value))
    }
}
