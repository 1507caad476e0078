/// The rlimits every sandboxed process gets: the second layer under the cgroups (or the only
/// one under `--rlimit-fallback`).
public enum RlimitPlan {
    public struct Entry: Sendable, Equatable {
        public let resource: Int32
        public let soft: UInt64
        public let hard: UInt64
    }

    // Linux resource numbers (asm-generic/resource.h).
    public static let cpu: Int32 = 0, fsize: Int32 = 1, core: Int32 = 4, nproc: Int32 = 6, nofile: Int32 = 7, addressSpace: Int32 = 9

    public static func build(_ limits: SandboxSpec.Limits, cgroupEnforced: Bool) -> [Entry] {
        let memory = UInt64(limits.memoryMB) << 20
        // Address space: the memory limit itself without a cgroup; a generous backstop with one
        // (virtual reservations of runtimes far exceed their resident memory).
        let addressSpace = cgroupEnforced ? memory * 4 : memory
        var entries = [
            Entry(resource: nofile, soft: UInt64(limits.openFiles), hard: UInt64(limits.openFiles)),
            Entry(resource: fsize, soft: UInt64(limits.fileSizeBytes), hard: UInt64(limits.fileSizeBytes)),
            Entry(resource: core, soft: 0, hard: 0),
            Entry(resource: self.addressSpace, soft: addressSpace, hard: addressSpace),
            // Counted per user in the sandbox's own user namespace: a per-sandbox process limit.
            Entry(resource: nproc, soft: UInt64(limits.pids), hard: UInt64(limits.pids)),
        ]
        if let seconds = limits.cpuSeconds {
            // SIGXCPU at the soft limit, SIGKILL one second later.
            entries.append(Entry(resource: cpu, soft: UInt64(seconds), hard: UInt64(seconds) + 1))
        }
        return entries
    }
}
