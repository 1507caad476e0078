/// Fixed caps on what the parsers read and keep. Inputs are hostile: no size field in a file
/// can make the parser allocate or read more than these.
public enum ELFLimits {
    /// Largest single read any source serves (the ld.so.cache is read whole, up to this).
    public static let maxRead = 16 << 20
    /// Program headers accepted (e_phnum); PN_XNUM (0xffff) is refused outright.
    public static let maxProgramHeaders = 4096
    /// Longest PT_INTERP, DT_NEEDED, DT_RPATH, DT_RUNPATH or DT_SONAME string, NUL excluded.
    public static let maxStringLength = 4096
    /// DT_NEEDED entries accepted per object.
    public static let maxNeeded = 1024
    /// Bytes of PT_DYNAMIC read (64 Ki ELF64 entries); a dynamic section without DT_NULL
    /// within them is refused.
    public static let maxDynamicBytes = 1 << 20
    /// Largest ld.so.cache accepted.
    public static let maxCacheSize = 16 << 20
    /// ld.so.cache entries accepted (nlibs).
    public static let maxCacheEntries = 65536
    /// Distinct libraries one closure may hold (the interpreter not counted).
    public static let maxLibraries = 512
    /// Longest chain of loaders (program → library → library ...) walked.
    public static let maxDepth = 64
    /// Directories one object's DT_RPATH or DT_RUNPATH may list; an object with more is
    /// reported unusable rather than searched.
    public static let maxSearchDirectories = 256
    /// Work units (filesystem look-ups, directories visited, search entries expanded) one
    /// closure may spend.
    public static let maxProbes = 65536
}
