/// Everything a program loads at start-up, as `LibraryResolver` found it: the files to make
/// exec-capable inside the sandbox, and what could not be resolved.
public struct LibraryClosure: Sendable, Equatable {
    public struct Library: Sendable, Equatable {
        /// The DT_NEEDED name (or the PT_INTERP path for the interpreter).
        public let name: String
        /// Canonical path of the object whose DT_NEEDED asked for it.
        public let neededBy: String
        /// Canonical paths, never empty. The first is the plain file ld.so loads when no
        /// glibc-hwcaps variant applies; the rest are variants (glibc-hwcaps subdirectories,
        /// further cache entries of the name) ld.so may load instead on a capable CPU.
        public let paths: [String]
        /// How it was found: "interp", "path" (the name holds a '/'), "rpath", "runpath",
        /// "ld.so.cache" or "default".
        public let via: String

        public init(name: String, neededBy: String, paths: [String], via: String) {
            self.name = name
            self.neededBy = neededBy
            self.paths = paths
            self.via = via
        }
    }

    /// A name nothing in the search order provides (or a relative path, which depends on the
    /// working directory).
    public struct Missing: Sendable, Equatable {
        public let name: String
        public let neededBy: String

        public init(name: String, neededBy: String) {
            self.name = name
            self.neededBy = neededBy
        }
    }

    /// A library that was found but cannot be used: unparseable, for another machine, not a
    /// shared object, or beyond the walk's bounds (then `path` is empty).
    public struct Unusable: Sendable, Equatable {
        public let name: String
        public let path: String
        public let reason: String

        public init(name: String, path: String, reason: String) {
            self.name = name
            self.path = path
            self.reason = reason
        }
    }

    /// Breadth-first, as ld.so loads them; each name once. The interpreter comes first.
    public var libraries: [Library] = []
    public var missing: [Missing] = []
    public var unusable: [Unusable] = []
    /// Canonical paths of objects whose search paths depend on where they are: an RPATH or
    /// RUNPATH (or DT_NEEDED) using $ORIGIN, or a relative (or empty) RPATH/RUNPATH entry.
    public var origins: [String] = []
    /// Every RPATH/RUNPATH directory in effect for an object of the closure, expanded, in the
    /// order met, so a caller can check that each lies inside an allowed tree.
    public var searchPaths: [String] = []

    public init() {}

    /// Every path of every library, once each, in order: what to bind exec-capable.
    public var allPaths: [String] {
        var seen = Set<String>()
        return libraries.flatMap(\.paths).filter { seen.insert($0).inserted }
    }

    /// Nothing missing or unusable.
    public var isComplete: Bool { missing.isEmpty && unusable.isEmpty }
}
