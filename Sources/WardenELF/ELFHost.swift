/// What this host runs natively and where its glibc looks for libraries. Fixed at compile
/// time: a Warden built for x86-64 admits x86-64 programs only.
public enum ELFHost {
    #if arch(x86_64)
    public static let fileClass = ELFImage.FileClass.elf64
    public static let endianness = ELFImage.Endianness.little
    public static let machine: UInt16 = 62  // EM_X86_64
    /// What `$PLATFORM` expands to (AT_PLATFORM).
    public static let platform = "x86_64"
    /// Debian's multiarch directory name.
    public static let multiarchTriplet = "x86_64-linux-gnu"
    /// ld.so.cache entry flags ld.so accepts here: FLAG_ELF_LIBC6 | FLAG_X8664_LIB64.
    public static let cacheFlags: Int32 = 0x0303
    /// glibc-hwcaps subdirectories ld.so probes inside every search directory, most capable first.
    public static let hwcapsSubdirectories = ["x86-64-v4", "x86-64-v3", "x86-64-v2"]
    #elseif arch(arm64)
    public static let fileClass = ELFImage.FileClass.elf64
    public static let endianness = ELFImage.Endianness.little
    public static let machine: UInt16 = 183  // EM_AARCH64
    public static let platform = "aarch64"
    public static let multiarchTriplet = "aarch64-linux-gnu"
    /// FLAG_ELF_LIBC6 | FLAG_AARCH64_LIB64.
    public static let cacheFlags: Int32 = 0x0A03
    /// glibc defines no glibc-hwcaps levels for AArch64.
    public static let hwcapsSubdirectories: [String] = []
    #else
    // An unknown host admits nothing: machine 0 (EM_NONE) matches no real program.
    public static let fileClass = ELFImage.FileClass.elf64
    public static let endianness = ELFImage.Endianness.little
    public static let machine: UInt16 = 0
    public static let platform = "unknown"
    public static let multiarchTriplet = "unknown-linux-gnu"
    public static let cacheFlags: Int32 = -1
    public static let hwcapsSubdirectories: [String] = []
    #endif

    /// ld.so's built-in search directories (after the cache), multiarch first as on Debian,
    /// then the lib64 and plain layouts other distributions use.
    public static let defaultLibraryDirectories = [
        "/lib/\(multiarchTriplet)", "/usr/lib/\(multiarchTriplet)", "/lib64", "/usr/lib64", "/lib", "/usr/lib",
    ]

    /// A readable name for an e_machine value, for refusal messages.
    public static func machineName(_ machine: UInt16) -> String? {
        switch machine {
        case 2: "SPARC"
        case 3: "x86 (i386)"
        case 8: "MIPS"
        case 20: "PowerPC"
        case 21: "PowerPC64"
        case 22: "S/390"
        case 40: "ARM"
        case 42: "SuperH"
        case 43: "SPARC V9"
        case 50: "IA-64"
        case 62: "x86-64"
        case 183: "AArch64"
        case 243: "RISC-V"
        case 258: "LoongArch"
        default: nil
        }
    }

    static func describe(machine: UInt16) -> String {
        machineName(machine).map { "\(machine) (\($0))" } ?? "\(machine)"
    }
}

extension ELFImage {
    /// nil when this object's class, byte order and machine are the host's; otherwise why
    /// not, naming what was found, e.g. "ELF for machine 40 (ARM), this host runs x86-64 (62)".
    public func hostMismatch() -> String? {
        let host = ELFHost.machineName(ELFHost.machine).map { "\($0) (\(ELFHost.machine))" } ?? "machine \(ELFHost.machine)"
        if machine != ELFHost.machine {
            return "ELF for machine \(ELFHost.describe(machine: machine)), this host runs \(host)"
        }
        if fileClass != ELFHost.fileClass {
            return "\(fileClass.name) ELF for machine \(ELFHost.describe(machine: machine)), this host runs \(ELFHost.fileClass.name) \(host)"
        }
        if endianness != ELFHost.endianness {
            return "\(endianness.name) ELF for machine \(ELFHost.describe(machine: machine)), this host runs \(ELFHost.endianness.name) \(host)"
        }
        return nil
    }
}

extension ELFImage.FileClass {
    var name: String { self == .elf32 ? "32-bit" : "64-bit" }
}

extension ELFImage.Endianness {
    var name: String { self == .little ? "little-endian" : "big-endian" }
}
