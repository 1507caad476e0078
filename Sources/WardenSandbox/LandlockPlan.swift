import WardenCore

/// Landlock access rights (uapi values) and the rule set derived from a mount plan.
public enum LandlockAccess {
    public static let execute: UInt64 = 1 << 0
    public static let writeFile: UInt64 = 1 << 1
    public static let readFile: UInt64 = 1 << 2
    public static let readDir: UInt64 = 1 << 3
    public static let removeDir: UInt64 = 1 << 4
    public static let removeFile: UInt64 = 1 << 5
    public static let makeChar: UInt64 = 1 << 6
    public static let makeDir: UInt64 = 1 << 7
    public static let makeReg: UInt64 = 1 << 8
    public static let makeSock: UInt64 = 1 << 9
    public static let makeFifo: UInt64 = 1 << 10
    public static let makeBlock: UInt64 = 1 << 11
    public static let makeSym: UInt64 = 1 << 12
    public static let refer: UInt64 = 1 << 13
    public static let truncate: UInt64 = 1 << 14
    public static let ioctlDev: UInt64 = 1 << 15
    public static let netBindTCP: UInt64 = 1 << 0
    public static let netConnectTCP: UInt64 = 1 << 1
    public static let scopeAbstractUnix: UInt64 = 1 << 0
    public static let scopeSignal: UInt64 = 1 << 1

    public static let read = readFile | readDir
    public static let write = writeFile | removeDir | removeFile | makeDir | makeReg | makeSock | makeFifo
        | makeSym | refer | truncate

    /// Filesystem rights the kernel at `abi` can restrict.
    public static func handledFS(abi: Int) -> UInt64 {
        var v: UInt64 = (1 << 13) - 1
        if abi >= 2 { v |= refer }
        if abi >= 3 { v |= truncate }
        if abi >= 5 { v |= ioctlDev }
        return v
    }
}

/// The Landlock ruleset for one sandbox.
public struct LandlockPlan: Sendable, Equatable {
    public struct Rule: Sendable, Equatable {
        public let path: String
        public let access: UInt64
    }

    public let abi: Int
    public let handledFS: UInt64
    public let handledNet: UInt64
    public let scoped: UInt64
    public let rules: [Rule]
    /// TCP ports connect() may name (an egress grant's ports; empty: none).
    public var connectPorts: [UInt16] = []

    /// What the run's network allows at the socket layer.
    public enum Net: Sendable, Equatable {
        /// No network: bind and connect are denied.
        case none
        /// connect() only to these ports (bind still denied).
        case connect([UInt16])
        /// connect() to any port (bind still denied): the grant names too many ports to list,
        /// or audit-only; nftables and the proxy still decide.
        case anyConnect
    }

    /// Most ports listed as Landlock rules; a wider grant leaves the port check to nftables.
    public static let maxConnectPorts = 1024

    /// Minimum ABI Warden accepts: filesystem + execute restriction (ABI 1). TCP denial needs
    /// ABI 4 and scoping ABI 6; below those the network namespace alone isolates the network.
    public static let minimumABI = 1

    /// Read for read-only trees, read+write for writable ones, EXECUTE only on `executables`.
    public static func build(plan: MountPlan, executables: [String], abi: Int, net: Net = .none) throws(WardenError) -> LandlockPlan {
        guard abi >= minimumABI else {
            throw .denied("sandbox.landlock_unavailable",
                          "Landlock is not available (ABI \(abi)); Warden refuses to run without filesystem confinement")
        }
        var rules: [Rule] = [Rule(path: "/", access: LandlockAccess.readDir)]
        for (path, entry) in plan.view {
            switch entry {
            case .hostTree(_, let writable), .privateTree(let writable):
                rules.append(Rule(path: path, access: writable ? LandlockAccess.read | LandlockAccess.write : LandlockAccess.read))
            case .proc, .sealedFile:
                rules.append(Rule(path: path, access: LandlockAccess.read))
            case .symlink:
                continue
            }
        }
        for device in plan.devices {
            // The terminal needs its ioctls (termios, window size); TIOCSTI/TIOCLINUX stay
            // denied by seccomp.
            let ioctl = device == "/dev/tty" ? LandlockAccess.ioctlDev : 0
            rules.append(Rule(path: device, access: LandlockAccess.readFile | LandlockAccess.writeFile | ioctl))
        }
        for exe in executables {
            rules.append(Rule(path: exe, access: LandlockAccess.execute | LandlockAccess.read))
        }
        var handledNet: UInt64 = abi >= 4 ? LandlockAccess.netBindTCP | LandlockAccess.netConnectTCP : 0
        var ports: [UInt16] = []
        switch net {
        case .none: break
        case .connect(let p) where abi >= 4: ports = p
        case .connect: break
        case .anyConnect: handledNet &= ~LandlockAccess.netConnectTCP
        }
        let scoped: UInt64 = abi >= 6 ? LandlockAccess.scopeAbstractUnix | LandlockAccess.scopeSignal : 0
        var plan = LandlockPlan(abi: abi, handledFS: LandlockAccess.handledFS(abi: abi), handledNet: handledNet,
                                scoped: scoped, rules: rules)
        plan.connectPorts = ports
        return plan
    }
}
