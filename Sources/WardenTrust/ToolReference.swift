import WardenCore

/// How a command names a tool: `NAME` (newest version), `NAME@VERSION`, `NAME@sha256:HEX`,
/// or a bare `sha256:HEX`.
public enum ToolReference: Sendable, Equatable, CustomStringConvertible {
    case name(String)
    case version(name: String, version: String)
    case digest(name: String?, ArtifactDigest)

    public static func parse(_ text: String) throws(WardenError) -> ToolReference {
        if text.hasPrefix("sha256:") { return .digest(name: nil, try ArtifactDigest(parsing: text, field: "tool reference")) }
        guard let at = text.firstIndex(of: "@") else {
            try ToolManifest.validateName(text)
            return .name(text)
        }
        let name = String(text[..<at])
        let rest = String(text[text.index(after: at)...])
        try ToolManifest.validateName(name)
        if rest.hasPrefix("sha256:") { return .digest(name: name, try ArtifactDigest(parsing: rest, field: "tool reference")) }
        try ToolManifest.validateVersion(rest)
        return .version(name: name, version: rest)
    }

    public var description: String {
        switch self {
        case .name(let n): n
        case .version(let n, let v): "\(n)@\(v)"
        case .digest(let n, let d): n.map { "\($0)@\(d)" } ?? d.description
        }
    }
}
