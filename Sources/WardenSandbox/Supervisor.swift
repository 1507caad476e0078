#if canImport(Glibc)
import Glibc
#endif
import CWardenSpawn

/// Watches a running sandbox: streams and caps output, enforces wall-clock and tree CPU
/// limits, and collects the exit status. Memory use is bounded by one fixed read buffer.
struct Supervisor {
    let sandbox: SpawnedSandbox
    let stdoutFD: Int32
    let stderrFD: Int32
    let limits: SandboxSpec.Limits
    let cgroups: CgroupSet?
    let output: SandboxOutput?
    let captureLimit: Int
    /// (source, pty master): caller input forwarded to the program's terminal.
    var input: (from: Int32, to: Int32)?
    /// Readable or hung up: the caller is gone, kill the sandbox (-1: none).
    var cancelFD: Int32 = -1
    /// Egress: readable when the run's ruleset changed (-1: none); `driftCheck` is asked then
    /// and at least once a second, and a non-nil answer kills the run.
    var driftFD: Int32 = -1
    var driftCheck: (() -> String?)?

    struct Outcome {
        var rawStatus: Int32?
        var timedOut = false
        var cancelled = false
        var drift: String?
        var cpuExceeded = false
        var wallNanos: UInt64 = 0
        var rusage = Glibc.rusage()
        var bytes: [Int64] = [0, 0]
        var truncated = [false, false]
        var captured: [[UInt8]] = [[], []]
    }

    func run(startedAt start: UInt64) -> Outcome {
        var o = Outcome()
        let deadline = start + UInt64(limits.wallSeconds * 1e9)
        var fds = [pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: sandbox.pidfd, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: input?.from ?? -1, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: cancelFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: driftFD, events: Int16(POLLIN), revents: 0)]
        var nextDriftCheck: UInt64 = 0
        var inputOpen = input != nil
        var open = [true, true]
        var exited = false
        var exitedAt: UInt64 = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        let cpuLimitMicros = limits.cpuSeconds.map { UInt64($0) * 1_000_000 }

        while open[0] || open[1] || !exited {
            let now = monotonicNanos()
            if !exited && now >= deadline && !o.timedOut {
                o.timedOut = true
                _ = wsp_pidfd_kill(sandbox.pidfd, SIGKILL)
            }
            if let max = cpuLimitMicros, !exited, !o.cpuExceeded, let used = cgroups?.cpuMicros(), used > max {
                o.cpuExceeded = true
                _ = wsp_pidfd_kill(sandbox.pidfd, SIGKILL)
            }
            // After init is gone every writer is gone too; still, never wait forever on a pipe.
            if exited && now > exitedAt + 2_000_000_000 { break }
            var timeout = exited ? 100 : Int32(clamping: max(1, (deadline - min(now, deadline)) / 1_000_000))
            if cpuLimitMicros != nil { timeout = min(timeout, 50) }
            if driftCheck != nil { timeout = min(timeout, 1000) }
            for i in 0..<6 { fds[i].revents = 0 }
            fds[5].fd = exited || o.drift != nil ? -1 : driftFD
            fds[4].fd = exited || o.cancelled ? -1 : cancelFD
            fds[3].fd = inputOpen && !exited ? (input?.from ?? -1) : -1
            fds[0].fd = open[0] ? stdoutFD : -1
            fds[1].fd = open[1] ? stderrFD : -1
            fds[2].fd = exited ? -1 : sandbox.pidfd
            let n = poll(&fds, 6, timeout)
            if n < 0 && errno != EINTR { break }
            for i in 0..<2 where open[i] && fds[i].revents != 0 {
                let got = buffer.withUnsafeMutableBytes { read(i == 0 ? stdoutFD : stderrFD, $0.baseAddress, $0.count) }
                if got > 0 {
                    deliver(stream: i, count: got, buffer: buffer, into: &o)
                } else if got == 0 || (errno != EAGAIN && errno != EINTR) {
                    open[i] = false
                }
            }
            if inputOpen, fds[3].revents != 0, let (from, to) = input {
                // Terminal input is small and interactive: bytes the pty cannot take now are dropped.
                let got = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, 4096) }
                if got > 0 {
                    _ = buffer.withUnsafeBytes { write(to, $0.baseAddress, got) }
                } else if got == 0 || (errno != EAGAIN && errno != EINTR) {
                    inputOpen = false
                }
            }
            if !exited && !o.cancelled && fds[4].revents != 0 {
                o.cancelled = true
                _ = wsp_pidfd_kill(sandbox.pidfd, SIGKILL)
            }
            if let check = driftCheck, !exited, o.drift == nil, fds[5].revents != 0 || monotonicNanos() >= nextDriftCheck {
                nextDriftCheck = monotonicNanos() + 1_000_000_000
                if let what = check() {
                    o.drift = what
                    _ = wsp_pidfd_kill(sandbox.pidfd, SIGKILL)
                }
            }
            if !exited && fds[2].revents != 0 {
                exited = true
                exitedAt = monotonicNanos()
            }
        }
        o.wallNanos = monotonicNanos() - start
        var status: Int32 = 0
        while wait4(sandbox.pid, &status, 0, &o.rusage) < 0 && errno == EINTR {}
        var programStatus: Int32 = 0
        let got = withUnsafeMutableBytes(of: &programStatus) { read(sandbox.statusFD, $0.baseAddress, 4) }
        if got == 4 { o.rawStatus = programStatus }
        return o
    }

    private func deliver(stream i: Int, count: Int, buffer: [UInt8], into o: inout Outcome) {
        o.bytes[i] += Int64(count)
        let already = Int(o.bytes[i]) - count
        let allowed = max(0, min(count, limits.outputBytes - already))
        if allowed < count { o.truncated[i] = true }
        guard allowed > 0 else { return }
        buffer.withUnsafeBytes { raw in
            let slice = UnsafeRawBufferPointer(rebasing: raw[0..<allowed])
            output?.write(stream: i == 0 ? .stdout : .stderr, bytes: slice)
            let room = captureLimit - o.captured[i].count
            if room > 0 { o.captured[i] += slice.prefix(room) }
        }
    }
}

func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
