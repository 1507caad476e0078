#if canImport(Glibc)
import Glibc
#endif
import WardenCore
import WardenELF

/// What admission learns from an artifact whose bytes are a native (ELF) program, read with
/// Warden's bounded parser at `tool add`, `tool verify` and from the sealed copy that runs.
/// The checks here need only the bytes and the manifest; where the libraries resolve is
/// checked against the run's trees (`NativeAdmission` in the runtime).
public struct NativeArtifact: Sendable, Equatable {
    public let image: ELFImage
    /// The file had a set-user-ID or set-group-ID bit (known at `tool add`/`verify` only: the
    /// armory's copy has no such bit, and the sandbox mounts everything `nosuid`).
    public let setID: Bool

    /// Native properties the bytes have that the manifest must declare (`requires.native`).
    public var properties: [String] {
        var p: [String] = []
        if image.executableStack { p.append("exec_stack") }
        if image.textRelocations { p.append("text_relocations") }
        if setID { p.append("setuid") }
        return p
    }

    /// nil when the bytes at `fd` are not ELF (a script, data); refused (`admission.elf.malformed`)
    /// when they start like ELF but do not parse.
    public static func inspect(fd: Int32, setID: Bool = false, what: String) throws(WardenError) -> NativeArtifact? {
        let image: ELFImage
        do throws(ELFError) {
            let source = try ELFFileSource(fd: fd)
            guard source.size >= 4, ELFImage.looksLikeELF(try source.read(at: 0, count: 4)) else { return nil }
            image = try ELFImage(source: source)
        } catch {
            throw .denied("admission.elf.malformed", "\(what): the ELF file is malformed: \(error.message)")
        }
        return NativeArtifact(image: image, setID: setID)
    }

    /// `inspect(fd:)` for a file on the host (its mode bits count).
    public static func inspect(path: String) throws(WardenError) -> NativeArtifact? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .notFound("artifact.unreadable", "\(path): cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        let setID = fstat(fd, &st) == 0 && st.st_mode & (S_ISUID | S_ISGID) != 0
        return try inspect(fd: fd, setID: setID, what: path)
    }

    /// Refuses an artifact for another machine, and one with a native property its manifest
    /// does not declare. Whether a declared property is *allowed* is the policy's call.
    public func check(against manifest: ToolManifest) throws(WardenError) {
        if let why = image.hostMismatch() {
            throw .denied("admission.elf.foreign", "\(manifest.reference): \(why)")
        }
        let undeclared = properties.filter { !manifest.native.contains($0) }
        if !undeclared.isEmpty {
            throw .denied("admission.elf.undeclared",
                          "\(manifest.reference): the artifact has \(undeclared.map(Self.describe).joined(separator: ", ")), which its manifest does not declare (requires.native: \(undeclared.joined(separator: ", ")))")
        }
    }

    static func describe(_ property: String) -> String {
        switch property {
        case "exec_stack": "an executable stack (PT_GNU_STACK with PF_X, or none)"
        case "text_relocations": "text relocations (DT_TEXTREL)"
        default: "a set-user-ID or set-group-ID bit"
        }
    }

    /// The findings as recorded (`tool.verified`, the run's CloudEvent, `tool verify --json`).
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "class": .string(image.fileClass == .elf64 ? "ELF64" : "ELF32"),
            "machine": .string(ELFHost.machineName(image.machine) ?? "machine \(image.machine)"),
            "linking": .string(image.isStatic ? "static" : "dynamic"),
            "needed": .array(image.needed.map { .string($0) }),
            "exec_stack": .bool(image.executableStack), "text_relocations": .bool(image.textRelocations),
            "setuid": .bool(setID),
        ]
        if let i = image.interpreter { o["interpreter"] = .string(i) }
        if !image.runpath.isEmpty { o["runpath"] = .array(image.runpath.map { .string($0) }) }
        if !image.rpath.isEmpty { o["rpath"] = .array(image.rpath.map { .string($0) }) }
        return .object(o)
    }
}
