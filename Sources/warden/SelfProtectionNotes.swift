import Foundation
import WardenCore
import WardenHome
import WardenPolicy
import WardenSandbox

/// What `warden policy check` and `warden doctor` say about a policy and Warden's own files:
/// a tree that contains the home (masked in every sandbox), a tree inside it (every run
/// refused), the policy file inside a tree it makes writable (refused), writable system
/// trees. Each note is one line; `refused` marks the ones that make every run fail.
enum SelfProtectionNotes {
    struct Note {
        let text: String
        let refused: Bool
        var json: JSONValue { ["note": .string(text), "refuses_runs": .bool(refused)] }
    }

    static func notes(policy p: Policy, file: String, home: String, cwd: String = FileManager.default.currentDirectoryPath) -> [Note] {
        func anchored(_ t: String) -> String { t.hasPrefix("/") ? t : (cwd as NSString).appendingPathComponent(t) }
        var out: [Note] = []
        let trees = p.filesystem.readonly.enumerated().map { ("filesystem.readonly[\($0.offset)]", anchored($0.element)) }
            + p.filesystem.writable.enumerated().map { ("filesystem.writable[\($0.offset)]", anchored($0.element)) }
        for (field, tree) in trees {
            if HostPlaces.tree(containing: tree, among: [home]) != nil {
                out.append(Note(text: "\(field) \(tree) lies inside Warden's home \(home): every run under this policy is refused (sandbox.mount_source_protected)", refused: true))
            } else if HostPlaces.tree(containing: home, among: [tree]) != nil {
                out.append(Note(text: "\(field) \(tree) contains Warden's home \(home): the home is masked in every sandbox (the tool sees an empty, unreadable directory)", refused: false))
            }
        }
        let writable = p.filesystem.writable.map(anchored)
        if let tree = HostPlaces.tree(containing: file, among: writable) {
            out.append(Note(text: "the policy file lies inside its own writable tree \(tree): every run under it is refused (policy.file_writable)", refused: true))
        }
        for s in HostPlaces.systemWrites(writable) {
            out.append(p.filesystem.allowSystemWrites
                ? Note(text: "writable tree \(s.tree) \(s.reason): allowed by filesystem.allow_system_writes; a tool acts as its owner there, and every record of such a run names it", refused: false)
                : Note(text: "writable tree \(s.tree) \(s.reason): every run is refused (sandbox.system_write) unless filesystem.allow_system_writes: true", refused: true))
        }
        if !p.filesystem.unprotect.isEmpty {
            out.append(Note(text: "filesystem.unprotect makes \(p.filesystem.unprotect.joined(separator: ", ")) writable in writable trees; the decision record names them", refused: false))
        }
        return out
    }

    /// The home `--home`/`$WARDEN_HOME`/`~/.warden` names, made absolute (not opened).
    static func homePath(_ explicit: String?) -> String {
        Home.resolvePath(explicit: explicit, environment: ProcessInfo.processInfo.environment)
    }
}
