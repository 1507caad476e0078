import Foundation
import Testing
@testable import WardenPolicy

@Suite struct PathRuleTests {
    typealias P = ExecutionRequest.PathAccess

    @Test func insideTreesAllowedOutsideDenied() {
        #expect(Fixtures.decide(["ls"], paths: [P("/usr/lib/data"), P("src/main.py", write: true)]).isAllowed)
        #expect(Fixtures.codes(Fixtures.decide(["ls"], paths: [P("/etc/passwd")])) == ["policy.path.outside"])
        #expect(Fixtures.codes(Fixtures.decide(["ls"], paths: [P("/usr/lib/data", write: true)])) == ["policy.path.not_writable"])
        #expect(Fixtures.codes(Fixtures.decide(["ls"], paths: [P("/home/u/notes")])) == ["policy.path.outside"])
    }

    @Test func workingDirectoryOutsideTreesIsDenied() {
        let d = PolicyEngine.decide(Fixtures.request(["ls"], cwd: "/home/u"), Fixtures.policy, DecisionState(), now: Fixtures.now, host: Fixtures.host)
        #expect(Fixtures.codes(d) == ["policy.path.outside"])
    }

    @Test func dotDotAndTrailingSlashesAndDoubleSlashes() {
        for p in ["../../etc/passwd", "/work/ws/../../etc/passwd", "src/../../../etc/passwd", "/usr/../etc/passwd"] {
            #expect(Fixtures.codes(Fixtures.decide(["ls"], paths: [P(p)])) == ["policy.path.outside"], "\(p)")
        }
        // `..` at the root stays at the root.
        #expect(Fixtures.codes(Fixtures.decide(["ls"], paths: [P("/../../../etc/passwd")])) == ["policy.path.outside"])
        // Harmless spellings of an allowed path stay allowed.
        for p in ["/work/ws/src/", "/work//ws/./src//main.py", "src/../src/main.py", "/usr/lib/"] {
            #expect(Fixtures.decide(["ls"], paths: [P(p)]).isAllowed, "\(p)")
        }
    }

    @Test func symlinkEscapesAreResolved() {
        // /work/ws/link -> /etc: lexically inside the workspace, really outside.
        #expect(Fixtures.codes(Fixtures.decide(["ls"], paths: [P("link/passwd")])) == ["policy.path.outside"])
        #expect(Fixtures.codes(Fixtures.decide(["ls"], paths: [P("/work/ws/link/new-file", write: true)])) == ["policy.path.not_writable"])
        // /work/ws/homelink -> /home/u: the deny glob is checked on the resolved path too.
        #expect(Fixtures.codes(Fixtures.decide(["ls"], paths: [P("homelink/.ssh/id_rsa")])) == ["policy.path.denied"])
        // /work/ws/link/../ssl: the kernel follows link first (/etc/.. is /, so /ssl/cert.pem); lexically it is /work/ws/ssl.
        #expect(Fixtures.codes(Fixtures.decide(["ls"], paths: [P("link/../ssl/cert.pem")])) == ["policy.path.outside"])
    }

    @Test func denyGlobsAreEnforcedOnNamedPaths() {
        var p = Fixtures.policy
        p.filesystem.readonly.append("/home")
        #expect(Fixtures.decide(["ls"], paths: [P("/home/u")], policy: p).isAllowed)
        for path in ["/home/u/.ssh/id_rsa", "/home/u/.ssh", "/home/u/.ssh/", "/home/u/.SSH/id_rsa", "/home/u/./.ssh/../.ssh/id_rsa",
                     "/work/ws/.env", ".env", "/work/ws/.ENV", "/work/ws/src/.env"] {
            #expect(Fixtures.codes(Fixtures.decide(["ls"], paths: [P(path)], policy: p)) == ["policy.path.denied"], "\(path)")
        }
        // Look-alikes are different names to the kernel: not the protected file, judged as ordinary paths.
        #expect(Fixtures.decide(["ls"], paths: [P("/work/ws/.еnv")], policy: p).isAllowed)  // Cyrillic е, inside workspace
        #expect(Fixtures.decide(["ls"], paths: [P("/work/ws/.envrc")], policy: p).isAllowed)
    }

    @Test func caseAndUnicodeDoNotWidenTrees() {
        #expect(Fixtures.codes(Fixtures.decide(["ls"], paths: [P("/WORK/ws/x")])) == ["policy.path.outside"])
        #expect(Fixtures.codes(Fixtures.decide(["ls"], paths: [P("/wоrk/ws/x")])) == ["policy.path.outside"])  // Cyrillic о
        #expect(Fixtures.codes(Fixtures.decide(["ls"], paths: [P("/work/ws\u{200B}/x")])) == ["policy.path.outside"])
        #expect(Fixtures.codes(Fixtures.decide(["ls"], paths: [P("/work/ws/\u{0}x")])) == ["policy.path.invalid"])
        #expect(Fixtures.codes(Fixtures.decide(["ls"], paths: [P("/work/ws/a\nb")])) == ["policy.path.invalid"])
    }

    @Test func treeCoveredByDenyGlobIsRefused() {
        var p = Fixtures.policy
        p.filesystem.writable.append("/home/u/.ssh")
        #expect(Fixtures.codes(Fixtures.decide(["ls"], policy: p)) == ["policy.path.tree_denied"])
    }

    /// A tree reached through a symlink inside a writable tree (which a tool could have
    /// planted on an earlier run) is refused; a symlink outside writable trees is followed.
    @Test func treeRedirectedBySymlinkInsideAWritableTreeIsRefused() {
        var p = Fixtures.policy
        p.filesystem.readonly.append("/work/ws/link")        // /work/ws is writable; link → /etc
        #expect(Fixtures.codes(Fixtures.decide(["ls"], policy: p)) == ["policy.path.tree_redirected"])
        var q = Fixtures.policy
        q.filesystem.writable.append("/work/ws/homelink")     // → /home/u
        #expect(Fixtures.codes(Fixtures.decide(["ls"], policy: q)) == ["policy.path.tree_redirected"])
        var r = Fixtures.policy
        r.filesystem.readonly.append("/bin")                  // → usr/bin, outside writable trees
        #expect(Fixtures.decide(["ls"], policy: r).isAllowed)
    }

    @Test func relativeTreesResolveAgainstWorkingDirectory() throws {
        let p = try PolicyLoader.parse("""
            version: 1
            filesystem: {readonly: [/usr], writable: ["."]}
            commands: {allow: [ls]}
            budget: {executions: 5, cpu_seconds: 100}
            """)
        let d = PolicyEngine.decide(Fixtures.request(["ls"], paths: [P("src/x", write: true)]), p, DecisionState(), now: Fixtures.now, host: Fixtures.host)
        guard case .allow(let c) = d.verdict else { Issue.record("\(d.traceText)"); return }
        #expect(c.writable == ["/work/ws"])
        #expect(c.workingDirectory == "/work/ws")
    }

    @Test func globMatching() throws {
        let g = try PathGlob("**/.ssh/**")
        #expect(g.matches(NormalizedPath("/home/u/.ssh")!))
        #expect(g.matches(NormalizedPath("/.ssh/a/b")!))
        #expect(!g.matches(NormalizedPath("/home/u/.sshx/a")!))
        let h = try PathGlob("/home/*/.aws/cred*")
        #expect(h.matches(NormalizedPath("/home/bob/.aws/credentials")!))
        #expect(!h.matches(NormalizedPath("/home/bob/x/.aws/credentials")!))
        #expect(!h.matches(NormalizedPath("/home/.aws/credentials")!))
        let q = try PathGlob("**/id_?sa")
        #expect(q.matches(NormalizedPath("/x/ID_RSA")!))
        #expect(!q.matches(NormalizedPath("/x/id_rssa")!))
    }
}
