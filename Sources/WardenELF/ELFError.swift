/// Why bytes could not be read as an ELF image or an ld.so.cache. `code` is stable (callers
/// match on it); `message` is for people and names the offending field.
public struct ELFError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable identifier: "elf.truncated", "elf.bad_magic", "elf.bad_class", "elf.bad_data",
    /// "elf.bad_version", "elf.bad_header", "elf.too_large", "elf.bad_offset", "elf.bad_interp",
    /// "elf.bad_dynamic", "elf.bad_string", "elf.unsupported", "elf.io", "ldcache.bad_magic".
    public let code: String
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    static func truncated(_ what: String) -> ELFError { ELFError(code: "elf.truncated", message: what) }
    static func badOffset(_ what: String) -> ELFError { ELFError(code: "elf.bad_offset", message: what) }
    static func tooLarge(_ what: String) -> ELFError { ELFError(code: "elf.too_large", message: what) }
    static func badDynamic(_ what: String) -> ELFError { ELFError(code: "elf.bad_dynamic", message: what) }
    static func badString(_ what: String) -> ELFError { ELFError(code: "elf.bad_string", message: what) }
    static func unsupported(_ what: String) -> ELFError { ELFError(code: "elf.unsupported", message: what) }
}
