#if canImport(Glibc)
import Glibc
#endif

/// Building and reading SCM_RIGHTS control messages. Glibc's CMSG_* macros are not visible
/// from Swift, so their arithmetic is spelled out here (Linux: headers and data aligned to
/// `size_t`).
enum ControlBuffer {
    static let alignment = MemoryLayout<Int>.size
    static let headerSize = align(MemoryLayout<cmsghdr>.size)

    static func align(_ n: Int) -> Int { (n + alignment - 1) & ~(alignment - 1) }
    /// CMSG_SPACE for `count` descriptors.
    static func space(_ count: Int) -> Int { headerSize + align(count * MemoryLayout<Int32>.size) }

    /// One SCM_RIGHTS message carrying `fds`.
    static func rights(_ fds: [Int32]) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: space(fds.count))
        buffer.withUnsafeMutableBytes { raw in
            var h = cmsghdr()
            h.cmsg_len = headerSize + fds.count * MemoryLayout<Int32>.size
            h.cmsg_level = SOL_SOCKET
            h.cmsg_type = Int32(SCM_RIGHTS)
            raw.storeBytes(of: h, toByteOffset: 0, as: cmsghdr.self)
            for (i, fd) in fds.enumerated() {
                raw.storeBytes(of: fd, toByteOffset: headerSize + i * MemoryLayout<Int32>.size, as: Int32.self)
            }
        }
        return buffer
    }

    /// Every descriptor in the SCM_RIGHTS messages of `control` (anything else is ignored).
    static func parseRights(_ control: UnsafeRawBufferPointer) -> [Int32] {
        var fds: [Int32] = []
        var offset = 0
        while offset + MemoryLayout<cmsghdr>.size <= control.count {
            let h = control.loadUnaligned(fromByteOffset: offset, as: cmsghdr.self)
            let length = Int(h.cmsg_len)
            guard length >= headerSize, offset + length <= control.count else { break }
            if h.cmsg_level == SOL_SOCKET && h.cmsg_type == Int32(SCM_RIGHTS) {
                let count = (length - headerSize) / MemoryLayout<Int32>.size
                for i in 0..<count {
                    fds.append(control.loadUnaligned(fromByteOffset: offset + headerSize + i * MemoryLayout<Int32>.size, as: Int32.self))
                }
            }
            offset += align(length)
        }
        return fds
    }
}
