/// One breadth-first walk of `LibraryResolver.closure`: the loaded objects, the names already
/// satisfied, and the look-up budget.
struct ClosureWalk {
    /// A loaded object: the program or a library file.
    private struct Node {
        let path: String           // canonical
        let image: ELFImage
        let parent: Int?           // the object whose DT_NEEDED loaded it
        let depth: Int
        let tokens: DynamicStringTokens
        let rpath: [String]        // expanded; empty when the object has DT_RUNPATH (ld.so ignores it then)
        let runpath: [String]      // expanded
    }

    /// How one candidate file fared.
    private enum Verdict {
        case usable(ELFImage)
        case skipped(String)       // ld.so passes over it and keeps searching
        case fatal(String)         // ld.so would stop with an error
    }

    private enum Outcome {
        case found([(found: String, canonical: String, image: ELFImage)], via: String)
        case notFound(skipped: (path: String, reason: String)?)
        case fatal(path: String, reason: String)
    }

    /// Candidate errors ld.so's open_verify rejects before committing to a file.
    private static let skippableCodes: Set<String> = ["elf.bad_magic", "elf.bad_class", "elf.bad_data", "elf.bad_version", "elf.truncated", "elf.io"]

    let resolver: LibraryResolver
    private(set) var result = LibraryClosure()
    private var nodes: [Node] = []
    private var walked = Set<String>()       // canonical paths already made nodes
    private var satisfied = Set<String>()    // names ld.so would find already loaded
    private var images: [String: Verdict] = [:]
    private var budget = ELFLimits.maxProbes
    private var stopped = false
    private var originSet = Set<String>(), searchPathSet = Set<String>()

    init(resolver: LibraryResolver) { self.resolver = resolver }

    mutating func run(image: ELFImage, path: String) {
        if let soname = image.soname { satisfied.insert(soname) }
        if let interpreter = image.interpreter { addInterpreter(interpreter, neededBy: path) }
        guard addNode(path: path, found: path, image: image, parent: nil) else { return }
        var next = 0
        while next < nodes.count, !stopped {
            let index = next
            next += 1
            for name in nodes[index].image.needed where !stopped {
                resolveNeeded(name, by: index)
            }
        }
    }

    /// The interpreter is started by the kernel, not searched for; its own DT_NEEDED (it has
    /// none) is not walked, but its soname satisfies libc's DT_NEEDED on it.
    private mutating func addInterpreter(_ interpreter: String, neededBy: String) {
        guard interpreter.hasPrefix("/") else {
            result.missing.append(.init(name: interpreter, neededBy: neededBy))
            return
        }
        guard spend(), let canonical = resolver.probe(interpreter) else {
            if !stopped { result.missing.append(.init(name: interpreter, neededBy: neededBy)) }
            return
        }
        switch verdict(canonical) {
        case .usable(let image):
            result.libraries.append(.init(name: interpreter, neededBy: neededBy, paths: [canonical], via: "interp"))
            satisfied.insert(interpreter)
            if let soname = image.soname { satisfied.insert(soname) }
            walked.insert(canonical)
        case .skipped(let reason), .fatal(let reason):
            result.unusable.append(.init(name: interpreter, path: canonical, reason: reason))
        }
    }

    private mutating func resolveNeeded(_ name: String, by index: Int) {
        let node = nodes[index]
        guard !satisfied.contains(name) else { return }
        guard result.libraries.count(where: { $0.via != "interp" }) < ELFLimits.maxLibraries else {
            stop(name: name, path: "", reason: "closure exceeds \(ELFLimits.maxLibraries) libraries")
            return
        }
        guard node.depth < ELFLimits.maxDepth else {
            result.unusable.append(.init(name: name, path: "", reason: "loader chain deeper than \(ELFLimits.maxDepth)"))
            return
        }
        guard let expanded = node.tokens.expand(name) else {
            result.unusable.append(.init(name: name, path: "", reason: "DT_NEEDED expands past \(ELFLimits.maxStringLength) bytes"))
            return
        }
        if expanded.usedOrigin { noteOrigin(node.path) }
        guard !satisfied.contains(expanded.text) else { return }

        let outcome: Outcome
        if expanded.text.contains("/") {
            guard expanded.text.hasPrefix("/") else {
                noteOrigin(node.path)
                result.missing.append(.init(name: name, neededBy: node.path))
                return
            }
            outcome = search(candidates: [expanded.text], via: "path")
        } else {
            outcome = search(name: expanded.text, for: index)
        }
        if stopped {
            result.unusable.append(.init(name: name, path: "", reason: "search budget of \(ELFLimits.maxProbes) look-ups exhausted"))
            return
        }
        switch outcome {
        case .found(let files, let via):
            result.libraries.append(.init(name: name, neededBy: node.path, paths: files.map(\.canonical), via: via))
            satisfied.insert(name)
            satisfied.insert(expanded.text)
            for file in files {
                if let soname = file.image.soname { satisfied.insert(soname) }
                if !addNode(path: file.canonical, found: file.found, image: file.image, parent: index) { return }
            }
        case .notFound(skipped: nil):
            result.missing.append(.init(name: name, neededBy: node.path))
        case .notFound(skipped: let skipped?):
            result.unusable.append(.init(name: name, path: skipped.path, reason: skipped.reason))
        case .fatal(let path, let reason):
            result.unusable.append(.init(name: name, path: path, reason: reason))
        }
    }

    /// ld.so's order for a bare name, directory by directory.
    private mutating func search(name: String, for index: Int) -> Outcome {
        let node = nodes[index]
        var skipped: (path: String, reason: String)?
        var visited = Set<String>()

        func directories(_ list: [String], via: String, into walk: inout ClosureWalk) -> Outcome? {
            for directory in list where directory.hasPrefix("/") && visited.insert(directory).inserted {
                guard walk.spend() else { return nil }
                let subdirectories = walk.resolver.hwcapsSubdirectories.map { LibraryResolver.join(directory, "glibc-hwcaps/" + $0) }
                // The plain file first, then the variants ld.so prefers on capable CPUs.
                let paths = ([directory] + subdirectories).map { LibraryResolver.join($0, name) }
                switch walk.search(candidates: paths, via: via) {
                case .notFound(let s): skipped = skipped ?? s
                case let other: return other
                }
                if walk.stopped { return nil }
            }
            return nil
        }

        if node.image.runpath.isEmpty {
            var loader: Int? = index
            while let l = loader, !stopped {
                if let outcome = directories(nodes[l].rpath, via: "rpath", into: &self) { return outcome }
                loader = nodes[l].parent
            }
        }
        if let outcome = directories(node.runpath, via: "runpath", into: &self) { return outcome }
        if let cache = resolver.cache, !stopped {
            var cached = cache.paths(for: name).filter { $0.hasPrefix("/") }
            if node.image.noDefaultLibraries {
                cached.removeAll { resolver.defaultDirectories.contains(DynamicStringTokens.directory(of: $0)) }
            }
            if !cached.isEmpty {
                switch search(candidates: cached, via: "ld.so.cache") {
                case .notFound(let s): skipped = skipped ?? s
                case let other: return other
                }
            }
        }
        if !node.image.noDefaultLibraries, let outcome = directories(resolver.defaultDirectories, via: "default", into: &self) {
            return outcome
        }
        return .notFound(skipped: skipped)
    }

    /// The usable files among alternative paths for one name (a directory and its
    /// glibc-hwcaps subdirectories, or the cache's entries).
    private mutating func search(candidates: [String], via: String) -> Outcome {
        var skipped: (path: String, reason: String)?
        var found: [(found: String, canonical: String, image: ELFImage)] = []
        for path in candidates {
            guard spend() else { return .notFound(skipped: skipped) }
            guard let canonical = resolver.probe(path), !found.contains(where: { $0.canonical == canonical }) else { continue }
            switch verdict(canonical) {
            case .usable(let image): found.append((path, canonical, image))
            case .skipped(let reason): skipped = skipped ?? (canonical, reason)
            case .fatal(let reason): return .fatal(path: canonical, reason: reason)
            }
        }
        return found.isEmpty ? .notFound(skipped: skipped) : .found(found, via: via)
    }

    private mutating func verdict(_ canonical: String) -> Verdict {
        if let known = images[canonical] { return known }
        let verdict: Verdict
        switch resolver.image(at: canonical) {
        case .failure(let error):
            verdict = Self.skippableCodes.contains(error.code) ? .skipped(error.description) : .fatal(error.description)
        case .success(let image):
            if let mismatch = image.hostMismatch() {
                verdict = .skipped(mismatch)
            } else if image.type != 3 {
                verdict = .fatal("not a shared object (e_type \(image.type))")
            } else {
                verdict = .usable(image)
            }
        }
        images[canonical] = verdict
        return verdict
    }

    /// Makes a loaded object a node: expands its search paths (its $ORIGIN is the directory
    /// it was found in) and records them. false once the walk has to stop.
    private mutating func addNode(path: String, found: String, image: ELFImage, parent: Int?) -> Bool {
        guard walked.insert(path).inserted else { return true }
        let tokens = DynamicStringTokens(origin: DynamicStringTokens.directory(of: found), lib: resolver.lib, platform: resolver.platform)
        let depth = parent.map { nodes[$0].depth + 1 } ?? 0
        guard let rpath = expand(image.runpath.isEmpty ? image.rpath : [], tokens, object: path, tag: "DT_RPATH"),
              let runpath = expand(image.runpath, tokens, object: path, tag: "DT_RUNPATH") else { return !stopped }
        nodes.append(Node(path: path, image: image, parent: parent, depth: depth, tokens: tokens, rpath: rpath, runpath: runpath))
        return true
    }

    private mutating func expand(_ list: [String], _ tokens: DynamicStringTokens, object: String, tag: String) -> [String]? {
        guard list.count <= ELFLimits.maxSearchDirectories else {
            result.unusable.append(.init(name: tag, path: object, reason: "\(tag) lists more than \(ELFLimits.maxSearchDirectories) directories"))
            return nil
        }
        var directories: [String] = []
        for entry in list {
            guard spend() else {
                stop(name: tag, path: object, reason: "search budget of \(ELFLimits.maxProbes) look-ups exhausted")
                return nil
            }
            guard let expanded = tokens.expand(entry) else {
                result.unusable.append(.init(name: tag, path: object, reason: "\(tag) entry expands past \(ELFLimits.maxStringLength) bytes"))
                return nil
            }
            // ld.so reads an empty entry as the working directory.
            let directory = LibraryResolver.trimmed(expanded.text.isEmpty ? "." : expanded.text)
            if expanded.usedOrigin || !directory.hasPrefix("/") { noteOrigin(object) }
            if searchPathSet.insert(directory).inserted { result.searchPaths.append(directory) }
            directories.append(directory)
        }
        return directories
    }

    private mutating func noteOrigin(_ object: String) {
        if originSet.insert(object).inserted { result.origins.append(object) }
    }

    /// One unit of the look-up budget; false (and the walk stops) when it is spent.
    private mutating func spend() -> Bool {
        guard budget > 0 else { stopped = true; return false }
        budget -= 1
        return true
    }

    private mutating func stop(name: String, path: String, reason: String) {
        stopped = true
        result.unusable.append(.init(name: name, path: path, reason: reason))
    }
}
