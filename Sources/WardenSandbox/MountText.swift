/// The kernel's escaping of paths in /proc/self/mounts and /proc/self/mountinfo: space, tab,
/// newline and backslash appear as `\ooo` (three octal digits). Shared by the cgroup layout
/// and the kernel-filesystem guard.
enum MountText {
    /// `bytes` with every `\ooo` escape (value ≤ 255) decoded; anything else is kept as is.
    static func unescape(_ bytes: ArraySlice<UInt8>) -> String {
        guard bytes.contains(0x5C) else { return String(decoding: bytes, as: UTF8.self) }
        let b = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if b[i] == 0x5C, i + 3 < b.count, let v = octal(b[(i + 1)...(i + 3)]) {
                out.append(v)
                i += 4
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func octal(_ digits: ArraySlice<UInt8>) -> UInt8? {
        var v = 0
        for d in digits {
            guard d >= 0x30, d <= 0x37 else { return nil }
            v = v * 8 + Int(d - 0x30)
        }
        return v <= 255 ? UInt8(v) : nil
    }
}
