#if canImport(Glibc)
import Glibc
#endif
import WardenCore
import WardenHome
import WardenServer

/// The `warden run` side of `warden serve`: hands the request and this process's stdout and
/// stderr (and stdin with `--stdin`) to the server, which streams the tool's output to them
/// directly; then prints what the server rendered and exits with the run's status.
enum RunClient {
    /// The socket in the home that `warden serve` listens on.
    static let socketName = "warden.sock"

    struct Reply {
        var status: Int32
        var rendered: RunReport.Rendered
    }

    /// `warden run` handed to a server, before Swift concurrency or Foundation start up (they
    /// cost about a millisecond a process): prints the reply and exits when a server answers;
    /// returns when the call is not a plain run, asks for `--local`, or nobody serves.
    static func runIfServed(_ arguments: [String]) {
        guard arguments.first == "run", let options = RunFastPath.parse(arguments.dropFirst()), !options.local else { return }
        do throws(WardenError) {
            guard let reply = try attempt(options) else { return }
            RunReport.print(reply.rendered)
            exit(reply.status)
        } catch {
            Terminal.error(error)
            exit(error.exitCode)
        }
    }

    /// Resolves what depends on this process (directory, relative policy, `@FILE` token, actor)
    /// and hands the run to the home's server; nil when nobody serves there.
    static func attempt(_ options: RunOptions) throws(WardenError) -> Reply? {
        guard let cwd = currentDirectory(), let home = homePath(options.home, cwd: cwd) else { return nil }
        var resolved = options
        var approvalFile: String?
        if let a = options.approval, a.hasPrefix("@") {
            let file = String(a.dropFirst())
            resolved.approval = try readJWS(file)
            approvalFile = file.hasPrefix("/") ? file : cwd + "/" + file
        }
        resolved.policy = options.policy.map { $0.hasPrefix("/") ? $0 : cwd + "/" + $0 }
        var message = RunCallMessage(resolved, workingDirectory: cwd, actor: Actor.current)
        message.approvalFile = approvalFile
        return try call(socket: home + "/" + socketName, message)
    }

    /// The server's reply, or nil when nobody serves at `socket` (then the caller runs locally).
    /// If this process dies or is interrupted meanwhile, the connection closes and the server
    /// kills the sandbox.
    static func call(socket: String, _ call: RunCallMessage) throws(WardenError) -> Reply? {
        guard case .success(let fd) = UnixSocket.connect(path: socket) else { return nil }
        defer { close(fd) }
        // The home is the caller's own (0700); only its owner or root can have bound a socket
        // there. Checked anyway: a server of another user must never see this request.
        guard let server = UnixSocket.peer(fd), server.uid == geteuid() || server.uid == 0 else {
            throw .denied("serve.server_refused", "\(socket): served by another user; refusing to send the request")
        }
        let descriptors: [Int32] = call.stdin ? [1, 2, 0] : [1, 2]
        try UnixSocket.send(fd, call.message, descriptors: descriptors)
        let reply: [String: JSONValue]
        do throws(WardenError) {
            reply = try UnixSocket.receive(fd).message
        } catch {
            throw .usage("serve.lost", "\(socket): the server went away before answering (\(error.message)); `warden audit show --tail 5` shows what was recorded")
        }
        return try decode(reply)
    }

    /// The home as `Home.resolvePath` chooses it (made absolute, not standardized: it is only
    /// connected to); nil when it would need more than the environment (no HOME).
    static func homePath(_ explicit: String?, cwd: String) -> String? {
        Home.choose(explicit: explicit, lookup: environment).map { $0.hasPrefix("/") ? $0 : cwd + "/" + $0 }
    }

    /// getenv, without Foundation's copy of the whole environment.
    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }

    static func currentDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func decode(_ reply: [String: JSONValue]) throws(WardenError) -> Reply {
        if let e = reply["error"]?.objectValue {
            let category = WardenError.Category(rawValue: e["category"]?.stringValue ?? "") ?? .usage
            throw WardenError(category, e["code"]?.stringValue ?? "serve.error", e["message"]?.stringValue ?? "the server refused the request")
        }
        guard let status = reply["status"]?.intValue, (0...255).contains(status),
              let out = reply["stdout"]?.stringValue, let err = reply["stderr"]?.stringValue else {
            throw .usage("serve.bad_reply", "the server's reply lacks status, stdout or stderr")
        }
        return Reply(status: Int32(status), rendered: .init(stdout: out, stderr: err))
    }
}
