/// The one error type Warden reports to users.
///
/// `code` is a stable, dotted identifier (`jws.alg_none`, `trust.wrong_role`) that tests and
/// scripts match on; `message` is one human line naming the file, field or rule.
public struct WardenError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Which exit status the error maps to.
    public enum Category: String, Sendable, Equatable {
        case usage, denied, notFound
    }

    public let category: Category
    public let code: String
    public let message: String

    public init(_ category: Category, _ code: String, _ message: String) {
        self.category = category
        self.code = code
        self.message = message
    }

    /// Shorthand for an input/configuration error (exit 125).
    public static func usage(_ code: String, _ message: String) -> WardenError {
        WardenError(.usage, code, message)
    }

    /// Shorthand for a denial (exit 126).
    public static func denied(_ code: String, _ message: String) -> WardenError {
        WardenError(.denied, code, message)
    }

    /// Shorthand for "not found" (exit 127).
    public static func notFound(_ code: String, _ message: String) -> WardenError {
        WardenError(.notFound, code, message)
    }

    public var exitCode: Int32 {
        switch category {
        case .usage: WardenExit.usage
        case .denied: WardenExit.denied
        case .notFound: WardenExit.notFound
        }
    }

    public var description: String { "\(message) [\(code)]" }
}
