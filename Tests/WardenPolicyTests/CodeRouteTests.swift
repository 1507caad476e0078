import Foundation
import Testing
import WardenTestSupport
@testable import WardenPolicy

/// Inline code by other routes: program files that are caller streams, and allowed programs'
/// own command-running switches. Each refused argv stands beside the allowed one it imitates.
@Suite struct CodeRouteTests {
    func refused(_ argv: [String]) -> Bool { InlineCode.detect(argv: argv, names: []) != nil }

    @Test(arguments: [
        (["python3", "/dev/stdin"], ["python3", "script.py"]),
        (["python3", "/dev/fd/0"], ["python3", "tests/run.py"]),
        (["python3", "/proc/self/fd/3"], ["python3", "-m", "pytest", "-q"]),
        (["python3", "/dev/./stdin"], ["python3", "devtools/stdin.py"]),
        (["python3", "//dev//fd/0"], ["python3", "./fd/0"]),
        (["python3", "/proc/self/../self/fd/0"], ["python3", "proc.py"]),
        (["python3", "/proc/thread-self/fd/0"], ["python3", "thread.py"]),
        (["perl", "/dev/stdin"], ["perl", "script.pl"]),
        (["sh", "/dev/fd/63"], ["sh", "build.sh"]),
        (["bash", "/proc/1/fd/0"], ["bash", "ci.sh"]),
        (["awk", "-f", "/dev/stdin", "data"], ["awk", "-f", "prog.awk", "data"]),
        (["env", "python3", "/dev/stdin"], ["env", "python3", "x.py"]),
        (["/dev/fd/3"], ["./tool"]),
    ])
    func streamsStandingForAProgramAreInlineCode(attack: [String], control: [String]) {
        #expect(refused(attack), "\(attack) should be refused")
        #expect(!refused(control), "\(control) should be allowed: \(InlineCode.detect(argv: control, names: []) ?? "")")
    }

    @Test(arguments: [
        (["git", "-c", "alias.x=!id", "x"], ["git", "-c", "user.name=x", "log"]),
        (["git", "-c", "core.pager=sh -c id", "log"], ["git", "log", "--oneline"]),
        (["git", "-c", "core.sshCommand=id", "fetch"], ["git", "fetch", "origin"]),
        (["git", "-c", "core.hooksPath=/tmp/h", "commit", "-m", "x"], ["git", "commit", "-m", "x"]),
        (["git", "--config-env=core.editor=ED", "commit"], ["git", "status"]),
        (["git", "clone", "--upload-pack=id", "repo"], ["git", "clone", "repo"]),
        (["tar", "--to-command=sh", "-xf", "a.tar"], ["tar", "-xf", "a.tar"]),
        (["tar", "--checkpoint=1", "--checkpoint-action=exec=id", "-cf", "a.tar", "d"], ["tar", "-cf", "a.tar", "d"]),
        (["tar", "-I", "sh -c id", "-xf", "a.tar"], ["tar", "-I", "zstd", "-xf", "a.tar"]),
        (["find", ".", "-exec", "id", ";"], ["find", ".", "-name", "x"]),
        (["find", ".", "-execdir", "id", ";"], ["find", ".", "-type", "f"]),
        (["less", "+!id", "file"], ["less", "file"]),
        (["vim", "-c", "!id"], ["vim", "file"]),
        (["ssh", "-o", "ProxyCommand=id", "host"], ["ssh", "-p", "22", "host"]),
        (["rsync", "-e", "sh -c id", "a", "b:"], ["rsync", "-a", "a", "b"]),
        (["sed", "s/x/id/e", "file"], ["sed", "s/x/y/", "file"]),
        (["make", "--eval=x:;id"], ["make", "-j4", "all"]),
        (["man", "-P", "sh -c id", "ls"], ["man", "ls"]),
        (["zip", "-T", "-TT", "id", "a.zip", "f"], ["zip", "a.zip", "f"]),
        (["gdb", "-batch", "-ex", "shell id", "prog"], ["gdb", "-batch", "prog"]),
        (["sqlite3", "db", ".shell id"], ["sqlite3", "db", "select 1"]),
    ])
    func commandRunningSwitchesAreInlineCode(attack: [String], control: [String]) {
        #expect(refused(attack), "\(attack) should be refused")
        #expect(!refused(control), "\(control) should be allowed: \(InlineCode.detect(argv: control, names: []) ?? "")")
    }

    /// What an unknown program gets: the generic scans for command shapes.
    @Test func unknownProgramsGetTheGenericScans() {
        #expect(refused(["mytool", "--hook=sh -c id"]))
        #expect(refused(["mytool", "--alias", "x=!id"]))
        #expect(refused(["mytool", "python3", "/dev/stdin"]))
        #expect(!refused(["mytool", "--verbose", "input.txt"]))
        #expect(!refused(["pytest", "-q", "tests/"]))
        #expect(!refused(["ls", "-la", "/tmp"]))
    }

    /// Arbitrary argvs never trap.
    @Test func randomArgvsNeverTrap() {
        var rng = SplitMix64(state: 0x5eed_1a11)
        let words = ["git", "-c", "tar", "find", "-exec", "sh", "/dev/stdin", "/proc/self/fd/0", "=!", "+!", "|", "--", "-", "less",
                     "vim", "python3", "env", "-S", "sed", "e", "x=!y", "busybox", "xargs", "make", "--eval", "ssh", "-o", "/dev/./fd/0"]
        for _ in 0..<3000 {
            let n = Int(rng.next() % 8)
            var argv: [String] = []
            for _ in 0...n {
                var w = words[Int(rng.next() % UInt64(words.count))]
                if rng.next() % 4 == 0 { w += words[Int(rng.next() % UInt64(words.count))] }
                argv.append(w)
            }
            _ = InlineCode.detect(argv: argv, names: [])
        }
    }
}

/// Through the policy engine: a program allowed with any arguments is still refused when its
/// argv runs code by one of these routes; its ordinary use is allowed.
@Suite struct CodeRouteDecisionTests {
    @Test func allowedProgramsRefuseTheirCommandRunningSwitches() {
        var p = Fixtures.policy
        p.commands.allow += ["find", "python3"].enumerated().map { CommandRule(program: $0.element, args: nil, index: 40 + $0.offset) }
        for argv in [["git", "-c", "core.pager=less -R +!id", "log"], ["git", "-c", "alias.st=!id", "st"],
                     ["find", ".", "-exec", "id", ";"], ["python3", "/dev/stdin"]] {
            #expect(Fixtures.codes(Fixtures.decide(argv, policy: p)) == ["policy.command.inline_code"], "\(argv)")
        }
        for argv in [["git", "log"], ["git", "-c", "color.ui=never", "log"], ["find", ".", "-name", "x"],
                     ["python3", "src/main.py"]] {
            #expect(Fixtures.decide(argv, policy: p).isAllowed, "\(argv): \(Fixtures.decide(argv, policy: p).verdict)")
        }
    }
}
