#if canImport(Glibc)
import Glibc
#endif
import CWardenSys
import WardenCore

/// The bpf(2) calls the cgroup socket filter makes, over CWardenSys's thin wrappers (which
/// return -errno). Failures throw `sandbox.bpf_unavailable` naming the step and the kernel's reason.
enum SockFilterKernel {
    static let progTypeCgroupSockAddr: UInt32 = 18   // BPF_PROG_TYPE_CGROUP_SOCK_ADDR
    static let mapTypeHash: UInt32 = 1               // BPF_MAP_TYPE_HASH
    /// What BPF_PROG_QUERY reports for link attachments.
    static let allowMulti: UInt32 = 1 << 1           // BPF_F_ALLOW_MULTI
    /// BPF_F_NO_PREALLOC: entries are allocated on update, so an unused map costs nothing and
    /// creating it stays cheap. BPF_F_RDONLY_PROG: the programs cannot write the map.
    static let mapFlags: UInt32 = 1 << 0 | 1 << 7
    /// The license only gates GPL-only helpers; the programs call bpf_map_lookup_elem, which
    /// is not one. "Proprietary" is the kernel's own word for "not GPL-compatible".
    static let license = "Proprietary"
    /// Verifier log size for reporting a rejection (the kernel keeps the tail when it overflows).
    static let logSize = 1 << 16

    static func text(_ negativeErrno: Int32) -> String { String(cString: strerror(-negativeErrno)) }

    static func unavailable(_ what: String) -> WardenError { .denied("sandbox.bpf_unavailable", what) }

    static let mapTypeQueue: UInt32 = 22             // BPF_MAP_TYPE_QUEUE

    /// Creates the refusal queue: the programs push one `SockAddrProgram.refusalSize`-byte
    /// record per refused destination (overwriting the oldest when full); Warden pops them
    /// when the run ends.
    static func createRefusalQueue(maxEntries: UInt32) throws(WardenError) -> Int32 {
        let fd = wsys_bpf_map_create(mapTypeQueue, 0, UInt32(SockAddrProgram.refusalSize), maxEntries, 0, "warden_refused")
        guard fd >= 0 else { throw unavailable("BPF_MAP_CREATE (queue): \(text(fd))") }
        return fd
    }

    /// Creates the pinned-address map (16-byte keys, 1-byte values).
    static func createMap(maxEntries: UInt32) throws(WardenError) -> Int32 {
        let fd = wsys_bpf_map_create(mapTypeHash, 16, 1, maxEntries, mapFlags, "warden_pins")
        guard fd >= 0 else { throw unavailable("BPF_MAP_CREATE: \(text(fd))") }
        return fd
    }

    /// Loads `program` for `hook`. A rejected program is loaded once more with a verifier log,
    /// whose last lines go into the error (the first try runs without one: logging makes the
    /// verifier slower, and most loads succeed).
    static func load(_ program: [EBPFInstruction], hook: SockAddrHook) throws(WardenError) -> Int32 {
        let bytes = EBPFInstruction.bytes(program)
        let count = UInt32(program.count)
        let fd = bytes.withUnsafeBytes {
            wsys_bpf_prog_load(progTypeCgroupSockAddr, hook.attachType, $0.baseAddress, count, license, hook.programName, nil, 0)
        }
        if fd >= 0 { return fd }
        var log = [CChar](repeating: 0, count: logSize)
        let again = bytes.withUnsafeBytes { insns in
            log.withUnsafeMutableBufferPointer {
                wsys_bpf_prog_load(progTypeCgroupSockAddr, hook.attachType, insns.baseAddress, count, license,
                                   hook.programName, $0.baseAddress, UInt32(logSize))
            }
        }
        if again >= 0 { return again }
        let verifier = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let tail = verifier.split(separator: "\n").suffix(3).joined(separator: " | ")
        throw unavailable("BPF_PROG_LOAD \(hook.programName): \(text(fd))" + (tail.isEmpty ? "" : " (verifier: \(tail))"))
    }

    /// The kernel's id of a loaded program.
    static func programID(_ fd: Int32) throws(WardenError) -> UInt32 {
        var id: UInt32 = 0
        let r = wsys_bpf_prog_id(fd, &id)
        guard r == 0 else { throw unavailable("BPF_OBJ_GET_INFO_BY_FD: \(text(r))") }
        return id
    }

    /// The ids attached directly to the cgroup at `hook` with their attach flags, or nil when
    /// the query fails (more than `capacity` programs counts as failure).
    static func attached(cgroup: Int32, hook: SockAddrHook, capacity: Int = 4) -> (ids: [UInt32], flags: UInt32)? {
        var ids = [UInt32](repeating: 0, count: capacity)
        var count = UInt32(capacity), flags: UInt32 = 0
        let r = ids.withUnsafeMutableBufferPointer { wsys_bpf_prog_query(cgroup, hook.attachType, &flags, $0.baseAddress, &count) }
        guard r == 0, Int(count) <= capacity else { return nil }
        return (Array(ids.prefix(Int(count))), flags)
    }
}
