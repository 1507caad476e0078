import Testing
import WardenPolicy

/// The in-memory host view resolves paths exactly as the kernel would, on its fast path
/// (parent resolved, last component looked up) as on its full walk (`.`, `..`, symlinks).
@Suite struct StaticHostViewTests {
    let host = StaticHostView(searchPath: ["/usr/bin"], entries: [
        "/usr": .directory, "/usr/bin": .directory, "/usr/bin/tool": .file(executable: true),
        "/usr/bin/link": .symlink("tool"), "/usr/lib": .directory,
        "/opt": .symlink("/usr"), "/etc": .directory, "/etc/passwd": .file(executable: false),
        "/loop": .symlink("/loop"),
    ])

    @Test func resolvesLikeTheKernel() {
        let cases: [(String, String?)] = [
            ("/", "/"), ("/usr/bin/tool", "/usr/bin/tool"),
            ("/usr/bin/link", "/usr/bin/tool"),          // symlink as the last component
            ("/opt/bin/tool", "/usr/bin/tool"),          // symlink in a parent
            ("/opt/bin/link", "/usr/bin/tool"),
            ("/usr/bin/missing", nil), ("/nope/x/y", nil),
            ("/etc/passwd/x", nil),                      // a file is not a directory
            ("/usr/bin/../lib", "/usr/lib"), ("/usr/./bin/tool", "/usr/bin/tool"),
            ("/opt/..", "/"),                            // `..` after a symlink: from its target
            ("/usr/bin/", "/usr/bin"), ("//usr//bin", "/usr/bin"),
            ("/loop", nil), ("/loop/x", nil),            // symlink loops end
        ]
        for (path, expected) in cases {
            #expect(host.realPath(path) == expected, "\(path)")
        }
    }

    @Test func resolveForAccessKeepsTheMissingTail() {
        #expect(host.resolveForAccess("/opt/bin/new/file.txt")?.description == "/usr/bin/new/file.txt")
        #expect(host.resolveForAccess("/opt/new/../bin")?.description == "/usr/bin")
        #expect(host.resolveForAccess("/brand/new")?.description == "/brand/new")
        #expect(host.resolveForAccess("relative") == nil)
    }
}
