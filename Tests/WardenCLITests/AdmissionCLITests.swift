import Foundation
import Testing

/// The Admit stage through the command line: exit codes, messages, files on disk.
@Suite(.serialized) struct AdmissionCLITests {
    let cli = CLIRunner()

    func write(_ name: String, _ text: String) -> String {
        let path = cli.home + "-files/" + name
        try? FileManager.default.createDirectory(atPath: cli.home + "-files", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o755])
        return path
    }

    @Test func helpListsEveryCommand() throws {
        let r = try cli.run(["--help"], useHomeFlag: false)
        #expect(r.status == 0)
        for word in ["init", "key", "tool"] { #expect(r.stdout.contains(word)) }
        let k = try cli.run(["key", "--help"], useHomeFlag: false)
        for word in ["generate", "trust", "revoke", "list", "export"] { #expect(k.stdout.contains(word)) }
    }

    @Test func usageErrorsExit125WithOneLine() throws {
        let r = try cli.run(["--no-such-flag"], useHomeFlag: false)
        #expect(r.status == 125)
        let k = try cli.run(["key", "generate", "k", "--role", "king"])
        #expect(k.status == 125)
        #expect(k.stderr.contains("--role: unknown role \"king\"") && k.stderr.contains("[key.bad_role]"))
        #expect(!k.stderr.contains("Fatal error") && k.stderr.split(separator: "\n").count == 1)
    }

    @Test func initIsIdempotentAndHomeIs0700ViaEnvironment() throws {
        defer { cli.cleanup() }
        for _ in 0..<2 {
            let r = try cli.run(["init"], environment: ["WARDEN_HOME": cli.home], useHomeFlag: false)
            #expect(r.status == 0)
        }
        var st = stat()
        #expect(stat(cli.home, &st) == 0 && st.st_mode & 0o777 == 0o700)
        #expect(FileManager.default.fileExists(atPath: cli.home + "/warden.db"))
    }

    @Test func insecureHomeIsRefused() throws {
        defer { cli.cleanup() }
        #expect(try cli.run(["init"]).status == 0)
        chmod(cli.home, 0o777)
        let r = try cli.run(["key", "list"])
        #expect(r.status == 125 && r.stderr.contains("[home.insecure_mode]"))
    }

    @Test func signAddAuthorizeRoundTripAndDenials() throws {
        defer { cli.cleanup() }
        #expect(try cli.run(["key", "generate", "pub", "--role", "publisher"]).status == 0)
        #expect(try cli.run(["key", "generate", "auth", "--role", "authorizer", "--alg", "es256"]).status == 0)
        let artifact = write("hello", "#!/bin/sh\necho hello\n")
        let jws = cli.home + "-files/hello.jws"
        let s = try cli.run(["tool", "sign", artifact, "--name", "hello", "--version", "1.0.0", "--key", "pub", "-o", jws])
        #expect(s.status == 0)
        let v = try cli.run(["tool", "verify", jws, "--artifact", artifact, "--json"])
        #expect(v.status == 0 && v.stdout.contains("\"valid\":true"))
        #expect(try cli.run(["tool", "add", jws, artifact]).status == 0)
        // Wrong role for authorizing: denied (126), named.
        let wr = try cli.run(["tool", "authorize", "hello@1.0.0", "--tenant", "acme", "--key", "pub"])
        #expect(wr.status == 126 && wr.stderr.contains("[trust.wrong_role]"))
        #expect(try cli.run(["tool", "authorize", "hello@1.0.0", "--tenant", "acme", "--key", "auth"]).status == 0)
        let list = try cli.run(["tool", "list", "--json"])
        #expect(list.status == 0 && list.stdout.contains("\"tenants\":[\"acme\"]"))
        // Unknown tool: 127.
        let nf = try cli.run(["tool", "authorize", "nope@1.0.0", "--tenant", "acme", "--key", "auth"])
        #expect(nf.status == 127 && nf.stderr.contains("[tool.unknown]"))
        // Tampered artifact: 126 with the digest named.
        let tampered = write("hello2", "#!/bin/sh\necho HELLO\n")
        let t = try cli.run(["tool", "verify", jws, "--artifact", tampered])
        #expect(t.status == 126 && t.stderr.contains("[artifact.digest_mismatch]"))
        // Revoked publisher: the manifest no longer verifies.
        #expect(try cli.run(["key", "revoke", "pub"]).status == 0)
        let rv = try cli.run(["tool", "verify", jws])
        #expect(rv.status == 126 && rv.stderr.contains("[trust.key_revoked]"))
    }

    @Test func exportedKeyIsTrustedElsewhereAndPrivateKeysStayPrivate() throws {
        defer { cli.cleanup() }
        #expect(try cli.run(["key", "generate", "pub", "--role", "publisher"]).status == 0)
        var st = stat()
        #expect(stat(cli.home + "/keys/pub.pem", &st) == 0 && st.st_mode & 0o777 == 0o600)
        let pem = try cli.run(["key", "export", "pub"])
        #expect(pem.stdout.hasPrefix("-----BEGIN PUBLIC KEY-----"))
        let other = CLIRunner()
        defer { other.cleanup() }
        let file = write("pub.pem", pem.stdout)
        let t = try other.run(["key", "trust", file, "--name", "alice", "--role", "publisher", "--not-after", "2030-01-01", "--json"])
        #expect(t.status == 0 && t.stdout.contains("\"private\":false") && t.stdout.contains("2030-01-01T00:00:00Z"))
        let bad = try other.run(["key", "trust", cli.home + "/keys/pub.pem", "--name", "x", "--role", "publisher"])
        #expect(bad.status == 125 && bad.stderr.contains("[key.private_given]"))
        let badDate = try other.run(["key", "trust", file, "--name", "y", "--role", "publisher", "--not-after", "tomorrow"])
        #expect(badDate.status == 125 && badDate.stderr.contains("--not-after"))
    }

    @Test func missingFilesAndGarbageAreClearErrors() throws {
        defer { cli.cleanup() }
        let missing = try cli.run(["tool", "verify", "/nonexistent.jws"])
        #expect(missing.status == 125 && missing.stderr.contains("/nonexistent.jws"))
        let garbage = write("garbage.jws", "this is not a token")
        let g = try cli.run(["tool", "verify", garbage])
        #expect(g.status == 126 && g.stderr.contains("[jws.segments]"))
        let binary = write("bin.jws", String(repeating: "\u{7}", count: 10))
        #expect(try cli.run(["tool", "verify", binary]).status == 126)
    }
}
