import Foundation
import WardenPolicy

/// A small deterministic host: Debian-like /usr/bin, /bin -> usr/bin, a workspace with a
/// symlink escaping to /etc, secrets in a home directory, and a look-alike `ls` in /tmp.
enum Fixtures {
    static let host: StaticHostView = {
        var e: [String: StaticHostView.Entry] = [:]
        for d in ["/usr", "/usr/bin", "/usr/lib", "/etc", "/etc/ssl", "/work", "/work/ws", "/work/ws/src", "/home", "/home/u",
                  "/home/u/.ssh", "/tmp", "/tmp/evil", "/work/ws/bin", "/opt", "/opt/tools"] {
            e[d] = .directory
        }
        for f in ["git", "ls", "python3.11", "dash", "bash", "busybox", "env", "perl", "mawk", "node", "cat", "timeout", "find", "php", "ruby", "xargs"] {
            e["/usr/bin/" + f] = .file(executable: true)
        }
        e["/usr/bin/python3"] = .symlink("python3.11")
        e["/usr/bin/sh"] = .symlink("dash")
        e["/usr/bin/awk"] = .symlink("/usr/bin/mawk")
        e["/usr/bin/gitlink"] = .symlink("git")
        e["/bin"] = .symlink("usr/bin")
        e["/usr/lib/data"] = .file(executable: false)
        e["/etc/passwd"] = .file(executable: false)
        e["/etc/ssl/cert.pem"] = .file(executable: false)
        e["/home/u/.ssh/id_rsa"] = .file(executable: false)
        e["/work/ws/.env"] = .file(executable: false)
        e["/work/ws/src/main.py"] = .file(executable: false)
        e["/work/ws/link"] = .symlink("/etc")
        e["/work/ws/homelink"] = .symlink("/home/u")
        e["/work/ws/bin/tool"] = .file(executable: true)
        e["/tmp/evil/ls"] = .file(executable: true)
        e["/opt/tools/ls"] = .file(executable: true)
        return StaticHostView(searchPath: ["/usr/bin", "/bin"], entries: e)
    }()

    static let policyYAML = """
        version: 1
        name: ci
        filesystem:
          readonly: [/usr, /etc/ssl]
          writable: [/work/ws]
          deny: ["**/.ssh/**", "**/.env"]
        commands:
          allow:
            - git
            - ls
            - env
            - busybox
            - timeout
            - /usr/bin/perl
            - {program: python3, args: ["-m", "pytest", "*"]}
            - {program: sh, args: ["-c", "echo ok"]}
            - {program: cat, args: ["--", "*"]}
        limits: {wall_seconds: 30, cpu_seconds: 10, memory_mb: 256, pids: 64, output_bytes: 1048576}
        budget: {executions: 100, cpu_seconds: 3600}
        """

    static var policy: Policy { try! PolicyLoader.parse(policyYAML, file: "ci.yaml") }

    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func request(_ argv: [String], paths: [ExecutionRequest.PathAccess] = [], tenant: String = "acme",
                        cwd: String = "/work/ws") -> ExecutionRequest {
        ExecutionRequest(tenant: tenant, argv: argv, workingDirectory: cwd, paths: paths)
    }

    static func decide(_ argv: [String], paths: [ExecutionRequest.PathAccess] = [], policy: Policy? = nil,
                       state: DecisionState = DecisionState(), now: Date = Fixtures.now) -> Decision {
        PolicyEngine.decide(request(argv, paths: paths), policy ?? Fixtures.policy, state, now: now, host: host)
    }

    static func codes(_ d: Decision) -> [String] { d.denials.map(\.code) }
}
