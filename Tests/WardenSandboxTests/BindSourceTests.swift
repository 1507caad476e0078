import CWardenSpawn
import Foundation
import Testing

/// Bind sources are planned by their real path and then opened without following any symlink:
/// a component swapped for a symlink after planning (by anyone with write access to a parent
/// directory, such as an earlier run's tool in a shared writable tree) makes the bind fail
/// instead of exposing whatever the symlink names. The parent's tree clones (root mode) and
/// the child's binds share the opening primitive; this checks it on the parent's clones.
@Suite struct BindSourceTests {
    @Test(.enabled(if: geteuid() == 0, "open_tree(OPEN_TREE_CLONE) needs root"))
    func treeClonesRefuseAPathThroughASymlink() throws {
        let base = NSTemporaryDirectory() + "warden-bind-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: base + "/real/sub", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createSymbolicLink(atPath: base + "/link", withDestinationPath: base + "/real")

        let ok = wsp_clone_tree(base + "/real/sub", 1, 1, 1)
        #expect(ok >= 0, "the real path clones (errno \(-ok))")
        if ok >= 0 { close(ok) }
        for path in [base + "/link/sub", base + "/link"] {
            let refused = wsp_clone_tree(path, 1, 1, 1)
            #expect(refused == -ELOOP, "\(path): \(refused)")
            if refused >= 0 { close(refused) }
            let idmapped = wsp_idmapped_tree(path, 0, 0, 1_999_900_000, 1_999_900_000, 0)
            #expect(idmapped == -ELOOP, "\(path) idmapped: \(idmapped)")
            if idmapped >= 0 { close(idmapped) }
        }
    }
}
