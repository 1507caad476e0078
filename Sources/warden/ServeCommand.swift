import ArgumentParser
import Foundation
import WardenCore
import WardenServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve `warden run` requests on the home's socket, with the database, keys and ledger kept open.",
        discussion: """
            Listens on HOME/warden.sock (mode 0600; only this user and root may connect). While it \
            runs, `warden run` against the same home hands its request to this process, which \
            runs the same pipeline (every check is made again on every run) without paying for \
            opening the home each time; `warden run --local` bypasses it. Stops on SIGTERM, \
            SIGINT or SIGHUP after the runs in progress finish.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Most requests served at once; more are refused with serve.busy.") var maxConcurrent = 64

    func run() async throws {
        guard (1...4096).contains(maxConcurrent) else {
            throw WardenError.usage("serve.bad_limit", "--max-concurrent \(maxConcurrent): allowed 1...4096")
        }
        // Writes to a client's stdout whose reader is gone must fail, not kill the server.
        signal(SIGPIPE, SIG_IGN)
        // A server is a node opening the ledger: that is recorded (`ledger.opened`).
        let env = try await RunEnvironment.open(home: global.home, recordOpening: true)
        let server = try LocalServer(path: env.home.root + "/" + RunClient.socketName, maxConnections: maxConcurrent,
                                     handler: RunService(env: env).handle)
        try StopSignals.install { server.stop() }
        Terminal.warn("serving \(server.path) (pid \(getpid()), node \(env.node)); stop with SIGTERM or Ctrl-C")
        // The accept loop blocks: it gets a thread of its own, not one of Swift concurrency's
        // few (as many as cores) that the rest of the process may need.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let accept = Thread {
                server.serve()
                done.resume()
            }
            accept.name = "warden-serve-accept"
            accept.start()
        }
        env.close()
        Terminal.warn("stopped")
    }
}

/// SIGTERM, SIGINT and SIGHUP end `warden serve` gracefully: the handler only writes a byte
/// to a pipe (async-signal-safe); a thread reading it runs the stop action.
enum StopSignals {
    nonisolated(unsafe) private static var pipeWrite: Int32 = -1

    static func install(_ stop: @escaping @Sendable () -> Void) throws(WardenError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw .usage("serve.signals", "cannot create the stop pipe: \(String(cString: strerror(errno)))")
        }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        pipeWrite = fds[1]
        let read = fds[0]
        let thread = Thread {
            // This thread takes the stop signals: threads started from Swift concurrency's
            // pool (and so the ones they start) block them, so unblock them here explicitly.
            var set = sigset_t()
            sigemptyset(&set)
            for s in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&set, s) }
            pthread_sigmask(SIG_UNBLOCK, &set, nil)
            var byte: UInt8 = 0
            while Glibc.read(read, &byte, 1) < 0 && errno == EINTR {}
            stop()
        }
        thread.name = "warden-serve-signals"
        thread.start()
        for s in [SIGTERM, SIGINT, SIGHUP] {
            signal(s) { _ in
                var byte: UInt8 = 1
                _ = Glibc.write(StopSignals.pipeWrite, &byte, 1)
            }
        }
    }
}
