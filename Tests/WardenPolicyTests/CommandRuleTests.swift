import Foundation
import Testing
@testable import WardenPolicy

@Suite struct CommandRuleTests {
    @Test func allowlistedCommandIsAllowedWithConfinement() throws {
        let d = Fixtures.decide(["git", "status"])
        guard case .allow(let c) = d.verdict else { Issue.record("expected allow, got \(d.verdict) \(d.traceText)"); return }
        #expect(c.executable == "/usr/bin/git")
        #expect(c.argv == ["git", "status"])
        #expect(c.readonly == ["/usr", "/etc/ssl"])
        #expect(c.writable == ["/work/ws"])
        #expect(c.executables.contains("/usr/bin/git"))
        // Only programs allowed with any arguments; canonical paths, sorted.
        #expect(c.executables == ["/usr/bin/busybox", "/usr/bin/env", "/usr/bin/git", "/usr/bin/ls", "/usr/bin/perl", "/usr/bin/timeout"])
        // A structured-rule program is executable only as the request's own program,
        // by its canonical path (the symlink resolved: what Landlock sees).
        guard case .allow(let py) = Fixtures.decide(["python3", "-m", "pytest", "t"]).verdict else { Issue.record("expected allow"); return }
        #expect(py.executable == "/usr/bin/python3.11")
        #expect(py.executables.contains("/usr/bin/python3.11") && !py.executables.contains("/usr/bin/python3"))
        #expect(py.executables == py.executables.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(c.limits.wallSeconds == 30)
        #expect(c.network == .none)
        #expect(d.trace.contains { $0.rule == "commands.allow[1]" && $0.outcome == .pass })
    }

    @Test func commandNotInAllowlistIsDenied() {
        let d = Fixtures.decide(["node", "x.js"])
        #expect(Fixtures.codes(d) == ["policy.command.not_allowed"])
        // Rules are looked up by the invoked basename; the others are summarized in one
        // trace step instead of being consulted one by one.
        #expect(d.trace.filter { $0.rule.hasPrefix("commands.allow[") }.isEmpty)
        #expect(d.traceText.contains("skip: commands.allow: 9 rules name another program than `node`"))
        // Rules naming the invoked program are each consulted and traced.
        let cat = Fixtures.decide(["cat", "x"])
        #expect(Fixtures.codes(cat) == ["policy.command.not_allowed"])
        #expect(cat.traceText.contains { $0.hasPrefix("skip: commands.allow[9]: arguments do not match") })
        #expect(cat.traceText.contains("skip: commands.allow: 8 rules name another program than `cat`"))
        #expect(d.denials[0].message.contains("`node`"))
    }

    @Test func unknownProgramIsNotFound() {
        #expect(Fixtures.codes(Fixtures.decide(["nosuch"])) == ["policy.command.not_found"])
    }

    @Test func fullPathAndSymlinkedPathsResolveToTheSameBinary() {
        #expect(Fixtures.decide(["/usr/bin/git", "log"]).isAllowed)
        #expect(Fixtures.decide(["/bin/git", "log"]).isAllowed)  // /bin -> usr/bin
    }

    @Test func basenameTricksDoNotMatch() {
        // Same basename, different binary.
        #expect(Fixtures.codes(Fixtures.decide(["/tmp/evil/ls"])) == ["policy.command.not_allowed"])
        #expect(Fixtures.codes(Fixtures.decide(["/opt/tools/ls"])) == ["policy.command.not_allowed"])
        // Same binary, different name (a symlink called gitlink): the invoked name must match too.
        #expect(Fixtures.codes(Fixtures.decide(["gitlink"])) == ["policy.command.not_allowed"])
        // Relative path into the workspace.
        #expect(Fixtures.codes(Fixtures.decide(["./bin/tool"])) == ["policy.command.not_allowed"])
        // Allowed name still works.
        #expect(Fixtures.decide(["ls", "-la"]).isAllowed)
    }

    @Test func caseAndUnicodeLookAlikeProgramNamesDoNotMatch() {
        var host = Fixtures.host
        host.entries["/usr/bin/g\u{456}t"] = .file(executable: true)  // Cyrillic і
        host.entries["/usr/bin/GIT"] = .file(executable: true)
        for name in ["g\u{456}t", "GIT", "/usr/bin/GIT"] {
            let d = PolicyEngine.decide(Fixtures.request([name]), Fixtures.policy, DecisionState(), now: Fixtures.now, host: host)
            #expect(Fixtures.codes(d) == ["policy.command.not_allowed"], "\(name)")
        }
        // NFC and NFD spellings are different files to the kernel and must not match each other.
        var nfc = Fixtures.host
        nfc.entries["/usr/bin/caf\u{E9}"] = .file(executable: true)
        nfc.entries["/usr/bin/cafe\u{301}"] = .file(executable: true)
        var p = Fixtures.policy
        p.commands.allow = [CommandRule(program: "caf\u{E9}", args: nil, index: 1)]
        let nfd = PolicyEngine.decide(Fixtures.request(["cafe\u{301}"]), p, DecisionState(), now: Fixtures.now, host: nfc)
        #expect(Fixtures.codes(nfd) == ["policy.command.not_allowed"])
        guard case .allow(let c) = PolicyEngine.decide(Fixtures.request(["caf\u{E9}"]), p, DecisionState(), now: Fixtures.now, host: nfc).verdict else {
            Issue.record("NFC name should be allowed"); return
        }
        #expect(c.executables.map { Array($0.utf8) } == [Array("/usr/bin/caf\u{E9}".utf8)])
        // Not on the host at all: not found rather than a fuzzy match.
        #expect(Fixtures.codes(Fixtures.decide(["Git"])) == ["policy.command.not_found"])
        #expect(Fixtures.decide(["git"]).isAllowed)
    }

    @Test func executableInWritableTreeIsRefusedEvenIfListed() throws {
        var p = Fixtures.policy
        p.commands.allow.append(CommandRule(program: "/work/ws/bin/tool", args: nil, index: 10))
        let d = Fixtures.decide(["/work/ws/bin/tool"], policy: p)
        #expect(Fixtures.codes(d) == ["policy.command.writable_location"])
        #expect(Fixtures.decide(["git"], policy: p).isAllowed)
    }

    @Test func structuredRules() {
        #expect(Fixtures.decide(["python3", "-m", "pytest", "tests"]).isAllowed)
        #expect(Fixtures.decide(["/usr/bin/python3", "-m", "pytest", "tests"]).isAllowed)
        // `*` is exactly one argument.
        #expect(!Fixtures.decide(["python3", "-m", "pytest"]).isAllowed)
        #expect(!Fixtures.decide(["python3", "-m", "pytest", "a", "b"]).isAllowed)
        // Different module.
        #expect(!Fixtures.decide(["python3", "-m", "http.server", "x"]).isAllowed)
    }

    @Test func argumentSmuggling() {
        // `*` does not match an option-looking argument ...
        #expect(Fixtures.codes(Fixtures.decide(["python3", "-m", "pytest", "--rootdir=/"])) == ["policy.command.not_allowed"])
        #expect(Fixtures.codes(Fixtures.decide(["python3", "-m", "pytest", "-p"])) == ["policy.command.not_allowed"])
        // ... unless a literal `--` in the rule precedes it.
        #expect(Fixtures.decide(["cat", "--", "-weird-name"]).isAllowed)
        #expect(Fixtures.codes(Fixtures.decide(["cat", "-A", "x"])) == ["policy.command.not_allowed"])
        // `--flag=value` glued forms never equal an exact token.
        #expect(Fixtures.codes(Fixtures.decide(["python3", "-m=pytest", "x"])) == ["policy.command.not_allowed"])
        // Exact arguments compare bytes: a Unicode look-alike or NFD form does not match.
        #expect(!Fixtures.decide(["python3", "-m", "pytеst", "x"]).isAllowed)  // Cyrillic е
        #expect(!Fixtures.decide(["sh", "-c", "echo ok\u{301}"]).isAllowed)
    }

    @Test func inlineCodeByFullPathEnvAndBusyboxIsDenied() {
        var p = Fixtures.policy
        p.commands.allow += ["sh", "bash", "python3", "perl", "awk", "node", "php", "ruby", "find", "xargs"].enumerated().map {
            CommandRule(program: $0.element, args: nil, index: 20 + $0.offset)
        }
        let attacks: [[String]] = [
            ["/bin/sh", "-c", "id"], ["/usr/bin/sh", "-c", "id"], ["sh", "-ec", "id"], ["bash", "-xc", "id"],
            ["env", "sh", "-c", "id"], ["/usr/bin/env", "-i", "FOO=1", "sh", "-c", "id"], ["env", "-S", "sh -c id"],
            ["env", "--", "python3", "-c", "print(1)"],
            ["busybox", "sh", "-c", "id"], ["busybox", "ash", "-c", "id"],
            ["python3", "-c", "print(1)"], ["python3", "-Ic", "print(1)"], ["python3", "-W", "ignore", "-c", "x"], ["python3"], ["python3", "-"],
            ["perl", "-e", "print 1"], ["perl", "-lne", "print"], ["perl", "-E", "say 1"],
            ["ruby", "-e", "p 1"], ["node", "-e", "1"], ["node", "-p", "1"], ["node", "--eval=1"], ["php", "-r", "echo 1;"],
            ["awk", "BEGIN{system(\"id\")}"], ["awk", "-F:", "{print}", "/etc/passwd"],
            ["timeout", "5", "sh", "-c", "id"], ["find", ".", "-exec", "sh", "-c", "id", ";"], ["xargs", "bash", "-c", "id"],
            ["sh"], ["bash", "-s"], ["sh", "-i"],
            ["git", "log", "sh", "-c", "x"], ["git", "-c", "core.pager=sh -c 'id'", "log"], ["git", "-c", "core.sshCommand=/bin/bash -c id", "fetch"],
            ["env", "-S", "python3 -c 'print(1)'"], ["busybox", "env", "sh", "-c", "id"], ["bash", "-o", "posix", "-c", "id"],
        ]
        for argv in attacks {
            let d = Fixtures.decide(argv, policy: p)
            #expect(Fixtures.codes(d) == ["policy.command.inline_code"], "\(argv) → \(d.verdict)")
        }
        // Matching allowed forms: scripts and modules are not inline code.
        let allowed: [[String]] = [
            ["sh", "src/build.sh"], ["/bin/sh", "src/build.sh", "-c"], ["python3", "src/main.py", "-c", "x"], ["python3", "-m", "pytest"],
            ["perl", "src/x.pl"], ["awk", "-f", "src/prog.awk", "data"], ["env", "FOO=1", "git", "status"], ["busybox", "ls"],
            ["timeout", "5", "git", "status"], ["node", "src/app.js"], ["git", "commit", "-m", "fix the sh build"],
            ["python3", "-mpytest", "-q"], ["python3", "--", "-c"],
        ]
        for argv in allowed {
            let d = Fixtures.decide(argv, policy: p)
            #expect(d.isAllowed, "\(argv) → \(d.verdict)")
        }
    }

    @Test func exactStructuredRuleAllowsThatInlineArgvOnly() {
        #expect(Fixtures.decide(["sh", "-c", "echo ok"]).isAllowed)
        #expect(Fixtures.decide(["/bin/sh", "-c", "echo ok"]).isAllowed)
        #expect(Fixtures.codes(Fixtures.decide(["sh", "-c", "echo ok; id"])) == ["policy.command.not_allowed"])
    }

    @Test func inlineCodeAllowedWhenDisabled() {
        var p = Fixtures.policy
        p.commands.denyInlineCode = false
        p.commands.allow.append(CommandRule(program: "sh", args: nil, index: 20))
        #expect(Fixtures.decide(["sh", "-c", "id"], policy: p).isAllowed)
    }
}
