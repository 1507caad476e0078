import WardenCore
import WardenELF
import WardenTrust

/// `tool verify`'s account of a native artifact: what its ELF headers say and where its
/// loader and libraries resolve on this host. A run checks the same against its policy's
/// trees (`admission.elf`); here nothing is refused for a library, only reported.
struct NativeReport {
    let native: NativeArtifact
    let closure: LibraryClosure

    init(_ native: NativeArtifact, path: String) {
        self.native = native
        closure = LibraryResolver.host().closure(of: native.image, at: path)
    }

    var checks: [String] {
        let i = native.image
        var c = ["native: \(i.fileClass == .elf64 ? "ELF64" : "ELF32") \(ELFHost.machineName(i.machine) ?? "machine \(i.machine)"), "
                 + (i.isStatic ? "statically linked" : "dynamically linked, loader \(i.interpreter ?? "")")]
        for lib in closure.libraries { c.append("library \(lib.name) → \(lib.paths[0]) (\(lib.via))") }
        let declared = native.properties
        if !declared.isEmpty { c.append("declared native properties: \(declared.joined(separator: ", "))") }
        return c
    }

    var warnings: [String] {
        closure.missing.map { "library \($0.name) (needed by \($0.neededBy)) is not found on this host" }
            + closure.unusable.map { "library \($0.name) \($0.path): \($0.reason)" }
            + (closure.origins.isEmpty ? [] : ["$ORIGIN or a relative RPATH/RUNPATH in \(closure.origins.joined(separator: ", ")): admission refuses it at run time"])
    }

    var json: JSONValue {
        guard case .object(var o) = native.json else { return native.json }
        o["libraries"] = .array(closure.libraries.map {
            .object(["name": .string($0.name), "needed_by": .string($0.neededBy), "paths": .array($0.paths.map { .string($0) }),
                     "via": .string($0.via)])
        })
        o["missing"] = .array(closure.missing.map { .object(["name": .string($0.name), "needed_by": .string($0.neededBy)]) })
        o["origins"] = .array(closure.origins.map { .string($0) })
        return .object(o)
    }
}
