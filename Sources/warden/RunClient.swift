#if canImport(Glibc)
import Glibc
#endif
import WardenCore
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
