import WardenCore

/// The outcome of one confined run.
public struct ExitReport: Sendable, Equatable {
    /// The status `warden exec` exits with: the program's code, 128+N for signal N, 124 on timeout.
    public var status: Int32
    /// Exit code when the program exited normally.
    public var exitCode: Int32?
    /// Signal that killed the program.
    public var signal: Int32?
    public var timedOut: Bool
    /// Limits that were reached: "memory", "pids", "cpu", "timeout", "stdout", "stderr".
    public var limitsHit: [String]
    public var wallMillis: Int64
    public var cpuMillis: Int64
    public var maxRSSKiB: Int64
    public var stdoutBytes: Int64
    public var stderrBytes: Int64
    public var stdoutTruncated: Bool
    public var stderrTruncated: Bool
    /// Capped copies of the output for the audit record (empty unless requested).
    public var capturedStdout: [UInt8]
    public var capturedStderr: [UInt8]
    /// How the run was confined ("root" or "rootless", cgroup version or "rlimit", Landlock ABI...).
    public var enforcement: [String: String]
    /// What the run's network did (egress runs only).
    public var network: NetworkReport?

    public var jsonValue: JSONValue {
        var o: [String: JSONValue] = [
            "status": .int(Int64(status)),
            "exit_code": exitCode.map { .int(Int64($0)) } ?? .null,
            "signal": signal.map { .int(Int64($0)) } ?? .null,
            "timed_out": .bool(timedOut),
            "limits_hit": .array(limitsHit.map { .string($0) }),
            "wall_ms": .int(wallMillis),
            "cpu_ms": .int(cpuMillis),
            "max_rss_kib": .int(maxRSSKiB),
            "stdout_bytes": .int(stdoutBytes),
            "stderr_bytes": .int(stderrBytes),
            "stdout_truncated": .bool(stdoutTruncated),
            "stderr_truncated": .bool(stderrTruncated),
            "enforcement": .object(enforcement.mapValues { .string($0) }),
        ]
        if let network { o["network"] = network.jsonValue }
        return .object(o)
    }
}

/// Receives the program's output as it is produced (already capped).
public protocol SandboxOutput: AnyObject {
    func write(stream: SandboxStream, bytes: UnsafeRawBufferPointer)
}

public enum SandboxStream: Sendable { case stdout, stderr }
