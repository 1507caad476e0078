#if canImport(Glibc)
import Glibc
#endif
import CWardenSpawn
import WardenCore
import WardenNet

/// Host probes for `warden doctor`. Every probe tries the primitive for real.
public enum Doctor {
    public struct Probe: Sendable, Equatable {
        public let name: String
        public let ok: Bool
        public let detail: String
        /// What Warden refuses (or cannot offer) when the probe fails; empty when ok.
        public let consequence: String
        /// Whether `warden exec` cannot run at all without it.
        public let required: Bool
    }

    public struct Report: Sendable {
        public let probes: [Probe]
        public var sandboxUsable: Bool { probes.allSatisfy { $0.ok || !$0.required } }

        public var text: String {
            var lines: [String] = []
            for p in probes {
                let mark = p.ok ? "ok     " : (p.required ? "MISSING" : "absent ")
                lines.append("\(mark) \(p.name): \(p.detail)")
                if !p.ok && !p.consequence.isEmpty { lines.append("        -> \(p.consequence)") }
            }
            let cgroupOK = probes.first { $0.name == "cgroup.limits" }?.ok ?? false
            lines.append(!sandboxUsable ? "sandbox: NOT usable; warden exec/run will refuse (exit 126)"
                         : cgroupOK ? "sandbox: usable (all required primitives work)"
                         : "sandbox: usable only with --rlimit-fallback (no cgroup for tree-wide limits)")
            return lines.joined(separator: "\n")
        }

        public var jsonValue: JSONValue {
            .object([
                "sandbox_usable": .bool(sandboxUsable),
                "probes": .array(probes.map {
                    .object(["name": .string($0.name), "ok": .bool($0.ok), "detail": .string($0.detail),
                             "consequence": .string($0.consequence), "required": .bool($0.required)])
                }),
            ])
        }
    }

    static func errnoName(_ e: Int32) -> String { e == 0 ? "works" : String(cString: strerror(e)) }

    public static func run() -> Report {
        var probes: [Probe] = []
        let root = geteuid() == 0
        let namespaces: [(String, UInt64)] = [
            ("user", 0x1000_0000), ("mount", 0x0002_0000), ("pid", 0x2000_0000), ("ipc", 0x0800_0000),
            ("uts", 0x0400_0000), ("net", 0x4000_0000), ("cgroup", 0x0200_0000), ("time", 0x80),
        ]
        for (name, flag) in namespaces {
            // Non-user namespaces are tried inside a new user namespace, as the sandbox does.
            let flags = name == "user" ? flag : flag | 0x1000_0000
            let rc = wsp_probe_unshare(flags)
            probes.append(Probe(name: "namespace.\(name)", ok: rc == 0, detail: "unshare: \(errnoName(rc))",
                                consequence: "warden exec refuses: the \(name) namespace is required", required: true))
        }
        if root {
            let rc = wsp_probe_unshare_as(0x1000_0000, 65534)
            probes.append(Probe(name: "userns.rootless", ok: rc == 0, detail: "unshare(CLONE_NEWUSER) as uid 65534: \(errnoName(rc))",
                                consequence: "ordinary users cannot run warden exec (root still can)", required: false))
        }
        let abi = Int(wsp_landlock_abi())
        probes.append(Probe(name: "landlock", ok: abi >= LandlockPlan.minimumABI,
                            detail: abi > 0 ? "ABI \(abi)" : "unavailable (\(errnoName(Int32(-abi))))",
                            consequence: "warden exec refuses: no filesystem/exec confinement", required: true))
        if abi > 0 {
            let features = [(4, "TCP bind/connect denial"), (5, "device ioctl control"), (6, "abstract-unix and signal scoping")]
            for (need, what) in features where abi < need {
                probes.append(Probe(name: "landlock.abi\(need)", ok: false, detail: "ABI \(abi) < \(need)",
                                    consequence: "\(what) not enforced by Landlock (network namespace still isolates)", required: false))
            }
        }
        let sc = wsp_probe_seccomp()
        probes.append(Probe(name: "seccomp", ok: sc == 0, detail: "filter install: \(errnoName(sc))",
                            consequence: "warden exec refuses: no syscall filter", required: true))
        let pidfd = wsp_probe_pidfd()
        probes.append(Probe(name: "pidfd", ok: pidfd == 0, detail: "pidfd_open: \(errnoName(pidfd))",
                            consequence: "warden exec refuses: reliable kill/wait needs pidfd", required: true))
        probes += cgroupProbes()
        if root {
            let fd = wsp_idmapped_tree("/tmp", 0, 0, Sandbox.rootHostID, Sandbox.rootHostID, 0)
            if fd >= 0 { close(fd) }
            probes.append(Probe(name: "idmapped-mount", ok: fd >= 0, detail: fd >= 0 ? "mount_setattr(MOUNT_ATTR_IDMAP) on /tmp works" : errnoName(-fd),
                                consequence: "--rw is refused when running as root", required: false))
        }
        probes.append(endToEnd())
        if let p = codeLoading() { probes.append(p) }
        probes += laterBackends()
        return Report(probes: probes)
    }

    static func cgroupProbes() -> [Probe] {
        let layout = CgroupLayout.parse(procSelfCgroup: readSmallFile("/proc/self/cgroup") ?? "",
                                        mounts: readSmallFile("/proc/self/mounts") ?? "")
        var probes: [Probe] = []
        let v1 = layout.v1.keys.sorted().joined(separator: ",")
        probes.append(Probe(name: "cgroup.v1", ok: !layout.v1.isEmpty, detail: v1.isEmpty ? "no v1 controllers" : "controllers: \(v1)",
                            consequence: "", required: false))
        let v2controllers = layout.v2.flatMap { readSmallFile($0 + "/cgroup.controllers") }?.trimmingNewline ?? ""
        let v2Usable = v2controllers.contains("memory") && v2controllers.contains("pids")
        probes.append(Probe(name: "cgroup.v2", ok: layout.v2 != nil,
                            detail: layout.v2.map { "\($0) controllers: [\(v2controllers)]" + (v2Usable ? "" : " (no memory+pids here: v1 is used)") } ?? "not mounted",
                            consequence: "", required: false))
        switch CgroupSet.create(limits: SandboxSpec.Limits(), runID: "\(getpid())-doctor") {
        case .success(let set):
            let left = set.destroy()
            probes.append(Probe(name: "cgroup.limits", ok: left.isEmpty, detail: "created and removed a \(set.version.rawValue) cgroup with memory+pids limits",
                                consequence: "", required: false))
        case .failure(let e):
            probes.append(Probe(name: "cgroup.limits", ok: false, detail: e.message,
                                consequence: "warden exec refuses unless --rlimit-fallback (rlimits only: per-process memory, per-sandbox process count)",
                                required: false))
        }
        return probes
    }

    /// The whole sandbox, for real: /bin/true must run and exit 0.
    static func endToEnd() -> Probe {
        var spec = SandboxSpec(command: "/bin/true")
        spec.limits.allowRlimitFallback = true
        spec.limits.wallSeconds = 10
        do {
            let r = try Sandbox.run(spec, output: nil)
            return Probe(name: "sandbox.end-to-end", ok: r.status == 0,
                         detail: "/bin/true exited \(r.status) in \(r.wallMillis) ms (limits: \(r.enforcement["limits"] ?? "?"))",
                         consequence: "warden exec cannot run programs here", required: true)
        } catch {
            return Probe(name: "sandbox.end-to-end", ok: false, detail: error.message,
                         consequence: "warden exec cannot run programs here", required: true)
        }
    }

    /// The noexec view tried for real: the loader of /bin/true, run as the program, must fail
    /// to map /bin/true, which is readable but not allowed (docs/SANDBOX.md "Code runs only
    /// from allowed files"). Skipped for a static /bin/true.
    static func codeLoading() -> Probe? {
        let name = "sandbox.code-loading", consequence = "the exec allowlist would not hold against the loader; nothing runs"
        guard let head = RealHostFileSystem().head(of: "/bin/true", limit: 4096), let loader = ELFInspector.interpreter(head) else { return nil }
        var spec = SandboxSpec(command: loader, arguments: ["/bin/true"])
        spec.limits.allowRlimitFallback = true
        spec.limits.wallSeconds = 10
        do {
            let r = try Sandbox.run(spec, output: nil)
            return Probe(name: name, ok: r.status != 0,
                         detail: r.status != 0 ? "\(loader) /bin/true was refused (exit \(r.status)): only allowed files map executable"
                                               : "\(loader) /bin/true ran: the view is not noexec",
                         consequence: consequence, required: true)
        } catch {
            return Probe(name: name, ok: false, detail: error.message, consequence: consequence, required: true)
        }
    }

    /// Egress tried for real: a sandbox whose namespace gets the ruleset, the proxy and the stub
    /// (a grant to TEST-NET-1's discard port; /bin/true sends nothing). With `udp`, a `/udp`
    /// grant: the relay's policy routing, TPROXY rule and raw sockets too.
    static func egressProbe(nft: String?, udp: Bool = false) -> Probe {
        let name = udp ? "net.egress.udp" : "net.egress"
        let consequence = udp ? "runs whose grant lists a /udp rule are refused"
                              : "runs with a network grant (--egress, policy network.allow) are refused"
        guard let nft else {
            return Probe(name: name, ok: false, detail: "nft not installed (apt-get install nftables)",
                         consequence: consequence, required: false)
        }
        do throws(WardenError) {
            let rule = EgressRule(target: .cidr(address: [192, 0, 2, 1], prefix: 32), ports: [9...9], proto: udp ? .udp : .tcp)
            var spec = SandboxSpec(command: "/bin/true", network: .egress)
            spec.egress = SandboxSpec.Egress(grant: EgressGrant(rules: [rule], auditOnly: false), resolvers: [])
            spec.limits.allowRlimitFallback = true
            let r = try Sandbox.run(spec, output: nil)
            let what = udp ? "namespace ruleset with the UDP relay (fwmark route, TPROXY, raw reply socket)"
                           : "namespace ruleset, proxy and DNS stub"
            return Probe(name: name, ok: r.status == 0,
                         detail: "\(nft): \(what) set up; /bin/true exited \(r.status) (\(r.enforcement["socket_filter"] ?? ""))",
                         consequence: consequence, required: false)
        } catch {
            return Probe(name: name, ok: false, detail: error.message, consequence: consequence, required: false)
        }
    }

    static func laterBackends() -> [Probe] {
        func onPath(_ name: String) -> String? {
            for dir in ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/bin"] where access(dir + "/" + name, X_OK) == 0 {
                return dir + "/" + name
            }
            return nil
        }
        var probes: [Probe] = []
        probes.append(egressProbe(nft: onPath("nft")))
        probes.append(egressProbe(nft: onPath("nft"), udp: true))
        let kvm = wsp_probe_kvm()
        probes.append(Probe(name: "kvm", ok: kvm == 0, detail: kvm == 0 ? "KVM_CREATE_VM and KVM_CREATE_VCPU work" : "/dev/kvm: \(errnoName(kvm))",
                            consequence: "a later microVM backend would be unavailable", required: false))
        let qemu = onPath("qemu-system-x86_64")
        probes.append(Probe(name: "qemu", ok: qemu != nil, detail: qemu.map { "found \($0)" } ?? "not installed",
                            consequence: "a later microVM backend would be unavailable", required: false))
        return probes
    }
}
