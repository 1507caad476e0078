import Foundation
import WardenCore
import WardenNet
import Yams

/// Loads and validates policy documents. Strict: unknown keys, duplicate keys, anchors,
/// tags, wrong types and out-of-range numbers are errors naming file:line:column and the
/// dotted field; every omitted field takes its safe default (see docs/POLICY.md).
public enum PolicyLoader {
    /// Largest accepted policy document.
    public static let maxBytes = 256 * 1024

    /// Reads and parses the file at `path`.
    public static func load(path: String) throws(WardenError) -> Policy {
        try parse(data: try read(path: path), path: path)
    }

    /// The policy file's bytes, size-checked.
    static func read(path: String) throws(WardenError) -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .usage("policy.unreadable", "\(path): cannot read policy file")
        }
        guard data.count <= maxBytes else { throw .usage("policy.too_large", "\(path): policy is \(data.count) bytes; the limit is \(maxBytes)") }
        return data
    }

    /// Parses the bytes read from `path` (its stem is the default policy name).
    static func parse(data: Data, path: String) throws(WardenError) -> Policy {
        guard let text = String(data: data, encoding: .utf8) else { throw .usage("policy.encoding", "\(path): policy is not valid UTF-8") }
        let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return try parse(text, file: path, defaultName: stem)
    }

    static let topKeys: Set<String> = ["version", "name", "filesystem", "commands", "network", "limits", "budget", "window", "approvals", "exposure", "admission"]

    /// Parses policy YAML. `file` is only used in error messages.
    public static func parse(_ text: String, file: String = "<policy>", defaultName: String = "policy") throws(WardenError) -> Policy {
        guard text.utf8.count <= maxBytes else { throw .usage("policy.too_large", "\(file): policy exceeds \(maxBytes) bytes") }
        let r = YAMLReader(file: file)
        let root: Node
        do {
            // The basic resolver: the reader types every scalar itself (strictly), so Yams's
            // implicit-tag regexes (compiled through ICU on first use, milliseconds per
            // process) would only be overhead.
            guard let node = try Yams.compose(yaml: text, .basic) else {
                throw WardenError.usage("policy.empty", "\(file): the policy document is empty")
            }
            root = node
        } catch let e as WardenError {
            throw e
        } catch let e as YamlError {
            throw yamlError(e, file: file)
        } catch {
            throw .usage("policy.yaml", "\(file): \(error)")
        }
        try r.checkPlain(root, "policy")
        let top = try r.mapping(root, "", allowed: topKeys)
        guard let versionNode = top["version"] else { throw r.error("policy.version", root, "version", "required; expected 1") }
        guard try r.int(versionNode, "version", 1...1) == 1 else { throw r.error("policy.version", versionNode, "version", "expected 1") }
        var policy = Policy(name: defaultName)
        if let n = top["name"] {
            policy.name = try r.string(n, "name")
            guard policy.name.utf8.count <= 128 else { throw r.error("policy.value", n, "name", "longer than 128 bytes") }
        }
        if let n = top["filesystem"] { policy.filesystem = try filesystem(n, r) }
        if let n = top["commands"] { policy.commands = try commands(n, r) }
        if let n = top["network"] { policy.network = try network(n, r) }
        if let n = top["admission"] { policy.admission = try admission(n, r) }
        if let n = top["limits"] { policy.limits = try limits(n, r) }
        if let n = top["budget"] { policy.budget = try budget(n, r) }
        if let n = top["window"] { policy.window = try window(n, r) }
        if let n = top["approvals"] { policy.approvals = try approvals(n, r) }
        if let n = top["exposure"] { policy.exposure = try exposureMap(n, r) }
        return policy
    }

    static func yamlError(_ e: YamlError, file: String) -> WardenError {
        let raw = yamlErrorRaw(e, file: file)
        // One line, always: libyaml context and snippets can span lines.
        let line = raw.message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        return .usage(raw.code, line)
    }

    static func yamlErrorRaw(_ e: YamlError, file: String) -> WardenError {
        switch e {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return .usage("policy.yaml", "\(file):\(mark.line):\(mark.column): YAML syntax: \(problem)")
        case .duplicatedKeysInMapping(let dups, let ctx):
            return .usage("policy.duplicate_key", "\(file):\(ctx.mark.line):\(ctx.mark.column): duplicate key \(dups.joined(separator: ", "))")
        case .reader(let problem, let offset, _, _):
            return .usage("policy.yaml", "\(file): YAML reader error\(offset.map { " at character \($0)" } ?? ""): \(problem)")
        default:
            return .usage("policy.yaml", "\(file): YAML error: \(e)")
        }
    }

    // MARK: sections

    static func path(_ node: Node, _ field: String, _ r: YAMLReader) throws(WardenError) -> String {
        let p = try r.string(node, field)
        if p.hasPrefix("/") {
            guard let n = NormalizedPath(p) else { throw r.error("policy.path", node, field, "invalid path") }
            guard n.description == p || n.description + "/" == p else {
                throw r.error("policy.path", node, field, "\"\(p)\" is not normalized (write \(n.description))")
            }
            return n.description
        }
        guard p == "." || p.hasPrefix("./") else {
            throw r.error("policy.path", node, field, "\"\(p)\" must be absolute or start with ./ (relative to the working directory)")
        }
        let rest = p == "." ? "" : String(p.dropFirst(2))
        guard let n = NormalizedPath("/" + rest), n.description == "/" + rest || n.description + "/" == "/" + rest else {
            throw r.error("policy.path", node, field, "\"\(p)\" must not contain .., . or empty segments")
        }
        return n.segments.isEmpty ? "." : "." + n.description
    }

    static func filesystem(_ node: Node, _ r: YAMLReader) throws(WardenError) -> FilesystemRules {
        let m = try r.mapping(node, "filesystem", allowed: ["readonly", "writable", "deny", "protect", "unprotect", "allow_system_writes"])
        var f = FilesystemRules()
        for key in ["readonly", "writable"] {
            guard let list = m[key] else { continue }
            var out: [String] = []
            for (i, item) in try r.sequence(list, "filesystem.\(key)").enumerated() {
                let field = "filesystem.\(key)[\(i)]"
                let p = try path(item, field, r)
                // The sandbox refuses these as mount sources (a kernel interface, not files);
                // say so when the policy is read, not only when a run is refused.
                if let kernel = ["/proc", "/sys", "/dev"].first(where: { p == $0 || p.hasPrefix($0 + "/") }) {
                    throw r.error("policy.path", item, field, "\"\(p)\" is under the host's \(kernel), a kernel interface: sandboxes get their own /proc and /dev and no /sys")
                }
                out.append(p)
            }
            if key == "readonly" { f.readonly = out } else { f.writable = out }
        }
        f.deny = try globs(m["deny"], "filesystem.deny", r)
        f.protect = try globs(m["protect"], "filesystem.protect", r)
        if let list = m["unprotect"] {
            for (i, item) in try r.sequence(list, "filesystem.unprotect").enumerated() {
                let field = "filesystem.unprotect[\(i)]"
                let name = try r.string(item, field)
                guard ProtectedNames.isDefault(name) else {
                    throw r.error("policy.unprotect", item, field, "\"\(name)\" is not a protected entry; name one of: \(ProtectedNames.defaults.joined(separator: " "))")
                }
                if !f.unprotect.contains(name) { f.unprotect.append(name) }
            }
        }
        if let b = m["allow_system_writes"] { f.allowSystemWrites = try r.bool(b, "filesystem.allow_system_writes") }
        return f
    }

    /// A list of globs (`filesystem.deny`, `filesystem.protect`); absent: none.
    static func globs(_ node: Node?, _ name: String, _ r: YAMLReader) throws(WardenError) -> [PathGlob] {
        guard let node else { return [] }
        var out: [PathGlob] = []
        for (i, item) in try r.sequence(node, name).enumerated() {
            let field = "\(name)[\(i)]"
            let text = try r.string(item, field)
            do throws(PolicyFieldError) { out.append(try PathGlob(text)) } catch {
                throw r.error("policy.glob", item, field, error.message)
            }
        }
        return out
    }

    static func program(_ node: Node, _ field: String, _ r: YAMLReader) throws(WardenError) -> String {
        let p = try r.string(node, field)
        if p.hasPrefix("/") {
            guard let n = NormalizedPath(p), n.description == p, !n.segments.isEmpty else {
                throw r.error("policy.program", node, field, "\"\(p)\" is not a normalized absolute path")
            }
            return p
        }
        guard !p.contains("/"), p != ".", p != "..", !p.unicodeScalars.contains(where: { $0.properties.isWhitespace }) else {
            throw r.error("policy.program", node, field, "\"\(p)\" must be a bare program name or an absolute path")
        }
        return p
    }

    static func commands(_ node: Node, _ r: YAMLReader) throws(WardenError) -> CommandRules {
        let m = try r.mapping(node, "commands", allowed: ["allow", "deny_inline_code", "libraries"])
        var c = CommandRules()
        if let d = m["deny_inline_code"] { c.denyInlineCode = try r.bool(d, "commands.deny_inline_code") }
        if let list = m["libraries"] { c.libraries = try absolutePaths(list, "commands.libraries", r) }
        guard let list = m["allow"] else { return c }
        for (i, item) in try r.sequence(list, "commands.allow").enumerated() {
            let field = "commands.allow[\(i)]"
            if case .scalar = item {
                c.allow.append(CommandRule(program: try program(item, field, r), args: nil, index: i + 1))
                continue
            }
            let e = try r.mapping(item, field, allowed: ["program", "args", "exposure"])
            guard let p = e["program"] else { throw r.error("policy.program", item, field + ".program", "required") }
            var rule = CommandRule(program: try program(p, field + ".program", r), args: nil, index: i + 1)
            if let a = e["args"] {
                var pats: [ArgPattern] = []
                let items = try r.sequence(a, field + ".args")
                for (j, arg) in items.enumerated() {
                    let af = "\(field).args[\(j)]"
                    guard case .scalar(let s) = arg else { throw r.error("policy.type", arg, af, "expected a string") }
                    switch s.string {
                    case "*" where s.style == .plain || s.style == .doubleQuoted || s.style == .singleQuoted: pats.append(.one)
                    case "...":
                        guard j == items.count - 1 else { throw r.error("policy.args", arg, af, "... is only allowed as the last argument") }
                        pats.append(.rest)
                    default:
                        guard !s.string.unicodeScalars.contains(where: { $0.value == 0 }) else { throw r.error("policy.args", arg, af, "contains NUL") }
                        pats.append(.exact(s.string))
                    }
                }
                rule.args = pats
            }
            if let x = e["exposure"] {
                rule.labels = try labels(x, field + ".exposure", r)
            }
            c.allow.append(rule)
        }
        return c
    }

    static func labels(_ node: Node, _ field: String, _ r: YAMLReader) throws(WardenError) -> ExposureLabels {
        var out = ExposureLabels()
        for (i, item) in try r.sequence(node, field).enumerated() {
            let name = try r.string(item, "\(field)[\(i)]")
            guard let l = ExposureLabels(name: name) else {
                throw r.error("policy.label", item, "\(field)[\(i)]", "unknown label \"\(name)\" (expected private_data, untrusted_content, exfiltration)")
            }
            out.insert(l)
        }
        return out
    }

    /// A list of normalized absolute paths, each once (`commands.libraries`, `admission.elf.interpreters`).
    static func absolutePaths(_ node: Node, _ name: String, _ r: YAMLReader) throws(WardenError) -> [String] {
        var out: [String] = []
        for (i, item) in try r.sequence(node, name).enumerated() {
            let field = "\(name)[\(i)]"
            let p = try r.string(item, field)
            guard let n = NormalizedPath(p), n.description == p, !n.segments.isEmpty else {
                throw r.error("policy.path", item, field, "\"\(p)\" is not a normalized absolute path")
            }
            if !out.contains(p) { out.append(p) }
        }
        return out
    }

    static func admission(_ node: Node, _ r: YAMLReader) throws(WardenError) -> AdmissionRules {
        let m = try r.mapping(node, "admission", allowed: ["elf"])
        var a = AdmissionRules()
        guard let elf = m["elf"] else { return a }
        let e = try r.mapping(elf, "admission.elf", allowed: ["static_only", "interpreters", "allow_exec_stack", "allow_text_relocations"])
        if let b = e["static_only"] { a.staticOnly = try r.bool(b, "admission.elf.static_only") }
        if let b = e["allow_exec_stack"] { a.allowExecStack = try r.bool(b, "admission.elf.allow_exec_stack") }
        if let b = e["allow_text_relocations"] { a.allowTextRelocations = try r.bool(b, "admission.elf.allow_text_relocations") }
        if let list = e["interpreters"] { a.interpreters = try absolutePaths(list, "admission.elf.interpreters", r) }
        if a.staticOnly && !a.interpreters.isEmpty {
            throw r.error("policy.value", elf, "admission.elf", "static_only: true contradicts a list of interpreters")
        }
        return a
    }

    static func network(_ node: Node, _ r: YAMLReader) throws(WardenError) -> NetworkRules {
        let m = try r.mapping(node, "network", allowed: ["egress", "allow", "unix_sockets", "mode"])
        var n = NetworkRules()
        if let u = m["unix_sockets"] { n.unixSockets = try r.bool(u, "network.unix_sockets") }
        if let mode = m["mode"] {
            switch try r.string(mode, "network.mode") {
            case "enforce": n.auditOnly = false
            case "audit-only": n.auditOnly = true
            default: throw r.error("policy.value", mode, "network.mode", "expected enforce or audit-only")
            }
        }
        var explicit: NetworkRules.Egress?
        if let e = m["egress"] {
            guard let v = NetworkRules.Egress(rawValue: try r.string(e, "network.egress")) else {
                throw r.error("policy.value", e, "network.egress", "expected deny or allow")
            }
            explicit = v
        }
        if let list = m["allow"] {
            for (i, item) in try r.sequence(list, "network.allow").enumerated() {
                let field = "network.allow[\(i)]"
                let text = try r.string(item, field)
                do throws(EgressRuleError) { n.allow.append(try EgressRule(parsing: text)) } catch {
                    throw r.error("policy.network_rule", item, field, "\"\(text.prefix(80))\" (character \(error.offset + 1)): \(error.message)",
                                  offset: error.offset)
                }
            }
        }
        switch (explicit, n.allow.isEmpty) {
        case (.deny, false): throw r.error("policy.value", node, "network", "egress: deny contradicts a non-empty allow list")
        case (.allow, true): throw r.error("policy.value", node, "network", "egress: allow needs an allow list of CIDR[:PORTS][/PROTO] or HOST[:PORTS][/PROTO] rules")
        case (_, false): n.egress = .allow
        case (_, true): n.egress = .deny
        }
        return n
    }

    static func limits(_ node: Node, _ r: YAMLReader) throws(WardenError) -> ResourceLimits {
        let m = try r.mapping(node, "limits", allowed: Set(ResourceLimits.fieldNames))
        var l = ResourceLimits.defaults
        let mx = ResourceLimits.maxima
        if let v = m["wall_seconds"] { l.wallSeconds = try r.int(v, "limits.wall_seconds", 1...mx.wallSeconds) }
        if let v = m["cpu_seconds"] { l.cpuSeconds = try r.int(v, "limits.cpu_seconds", 1...mx.cpuSeconds) }
        if let v = m["memory_mb"] { l.memoryMB = try r.int(v, "limits.memory_mb", 1...mx.memoryMB) }
        if let v = m["pids"] { l.pids = try r.int(v, "limits.pids", 1...mx.pids) }
        if let v = m["output_bytes"] { l.outputBytes = try r.int(v, "limits.output_bytes", 0...mx.outputBytes) }
        return l
    }

    static func budget(_ node: Node, _ r: YAMLReader) throws(WardenError) -> BudgetRules {
        let m = try r.mapping(node, "budget", allowed: ["executions", "cpu_seconds"])
        var b = BudgetRules()
        if let v = m["executions"] { b.executions = try r.int(v, "budget.executions", 0...BudgetRules.maximum) }
        if let v = m["cpu_seconds"] { b.cpuSeconds = try r.int(v, "budget.cpu_seconds", 0...BudgetRules.maximum) }
        return b
    }

    static func window(_ node: Node, _ r: YAMLReader) throws(WardenError) -> TimeWindow {
        let m = try r.mapping(node, "window", allowed: ["not_before", "not_after", "max_session_seconds"])
        var w = TimeWindow()
        for key in ["not_before", "not_after"] {
            guard let v = m[key] else { continue }
            let text = try r.string(v, "window.\(key)")
            guard let d = RFC3339.parse(text) else {
                throw r.error("policy.time", v, "window.\(key)", "expected an RFC 3339 time like 2026-01-01T00:00:00Z, got \"\(text.prefix(40))\"")
            }
            if key == "not_before" { w.notBefore = d } else { w.notAfter = d }
        }
        if let a = w.notBefore, let b = w.notAfter, a >= b {
            throw r.error("policy.time", node, "window", "not_before must be earlier than not_after")
        }
        if let v = m["max_session_seconds"] { w.maxSessionSeconds = try r.int(v, "window.max_session_seconds", 1...2_592_000) }
        return w
    }

    static func approvals(_ node: Node, _ r: YAMLReader) throws(WardenError) -> ApprovalRules {
        let m = try r.mapping(node, "approvals", allowed: ["required_for", "ttl_seconds", "approvers"])
        var a = ApprovalRules()
        if let list = m["required_for"] {
            for (i, item) in try r.sequence(list, "approvals.required_for").enumerated() {
                let name = try r.string(item, "approvals.required_for[\(i)]")
                guard let op = Operation(rawValue: name) else {
                    throw r.error("policy.value", item, "approvals.required_for[\(i)]",
                        "unknown operation \"\(name)\" (expected one of: \(Operation.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                if !a.requiredFor.contains(op) { a.requiredFor.append(op) }
            }
            a.requiredFor.sort()
        }
        if let v = m["ttl_seconds"] { a.ttlSeconds = try r.int(v, "approvals.ttl_seconds", 1...ApprovalRules.maxTTL) }
        if let list = m["approvers"] { a.approvers = try r.strings(list, "approvals.approvers") }
        return a
    }

    static func exposureMap(_ node: Node, _ r: YAMLReader) throws(WardenError) -> ExposureLabels {
        let m = try r.mapping(node, "exposure", allowed: ["private_data", "untrusted_content", "exfiltration"])
        var out = ExposureLabels()
        for (key, v) in m where try r.bool(v, "exposure.\(key)") {
            if let l = ExposureLabels(name: key) { out.insert(l) }
        }
        return out
    }
}
