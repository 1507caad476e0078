#if canImport(Glibc)
import Glibc
#endif
import WardenCore
import WardenELF
import WardenPolicy
import WardenTrust

/// The policy's `admission.elf` rules for a native artifact, checked before anything is
/// reserved: its loader and every library it needs must come from the run's read-only trees
/// (the system trees and the policy's `readonly`), found the way ld.so will find them.
/// A missing library is named here instead of as a loader error inside the sandbox.
enum NativeAdmission {
    struct Admitted {
        /// The run may make memory executable: the policy allows a declared executable
        /// stack or text relocations, which need exactly that.
        var executableMemory = false
        /// Where each library resolved (recorded with the decision).
        var libraries: JSONValue = .array([])
    }

    /// The read-only system trees every sandbox mounts (`MountPlan.systemTrees`).
    static let systemTrees = ["/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"]

    static func check(_ native: NativeArtifact, manifest m: ToolManifest, rules: AdmissionRules,
                      readonly: [String], writable: [String]) throws(WardenError) -> Admitted {
        let image = native.image
        var admitted = Admitted()
        let trees = (systemTrees + readonly).compactMap(realPath)
        let writableTrees = writable.compactMap(realPath)
        // Inside a read-only tree and not inside a writable one (code the run could rewrite).
        func allowed(_ path: String) -> String? {
            guard let real = HostFilesystem.canonicalRegularFile(path),
                  trees.contains(where: { within(real, $0) }), !writableTrees.contains(where: { within(real, $0) }) else { return nil }
            return real
        }
        if image.executableStack {
            guard rules.allowExecStack else {
                throw .denied("admission.elf.exec_stack", "\(m.reference): the artifact needs an executable stack; the policy does not allow it (admission.elf.allow_exec_stack)")
            }
            admitted.executableMemory = true
        }
        if image.textRelocations {
            guard rules.allowTextRelocations else {
                throw .denied("admission.elf.text_relocations", "\(m.reference): the artifact has text relocations; the policy does not allow them (admission.elf.allow_text_relocations)")
            }
            admitted.executableMemory = true
        }
        guard let interpreter = image.interpreter else { return admitted }
        if rules.staticOnly {
            throw .denied("admission.elf.dynamic", "\(m.reference): the artifact is dynamically linked (loader \(interpreter)); the policy admits static executables only (admission.elf.static_only)")
        }
        guard let loader = allowed(interpreter) else {
            throw .denied("admission.elf.interpreter", "\(m.reference): its loader \(interpreter) is not a file inside the run's read-only trees")
        }
        if !rules.interpreters.isEmpty, !rules.interpreters.compactMap(realPath).contains(loader) {
            throw .denied("admission.elf.interpreter", "\(m.reference): its loader \(interpreter) is not one the policy lists (admission.elf.interpreters: \(rules.interpreters.joined(separator: ", ")))")
        }
        let cache = try? LDCache()
        let resolver = LibraryResolver(cache: cache, canonicalPath: allowed, load: HostFilesystem.loadImage)
        let closure = resolver.closure(of: image, at: m.sandboxPath)
        if let object = closure.origins.first {
            throw .denied("admission.elf.origin", "\(m.reference): \(object) finds libraries relative to itself ($ORIGIN or a relative RPATH/RUNPATH); admission needs fixed locations")
        }
        if let dir = closure.searchPaths.first(where: { d in !trees.contains { within(d, $0) } }) {
            throw .denied("admission.elf.rpath", "\(m.reference): it searches libraries in \(dir) (RPATH/RUNPATH), outside the run's read-only trees")
        }
        if !closure.missing.isEmpty {
            let names = closure.missing.map { "\($0.name) (needed by \($0.neededBy))" }
            throw .denied("admission.elf.library_missing", "\(m.reference): no read-only tree of the run provides \(names.joined(separator: ", "))")
        }
        if let bad = closure.unusable.first {
            throw .denied("admission.elf.library_unusable", "\(m.reference): library \(bad.name) \(bad.path.isEmpty ? "" : "at \(bad.path) ")cannot be used: \(bad.reason)")
        }
        admitted.libraries = .array(closure.libraries.map { .object(["name": .string($0.name), "path": .string($0.paths[0]), "via": .string($0.via)]) })
        return admitted
    }

    static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    static func within(_ path: String, _ tree: String) -> Bool {
        tree == "/" || path == tree || path.hasPrefix(tree.hasSuffix("/") ? tree : tree + "/")
    }
}
