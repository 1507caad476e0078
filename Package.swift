// swift-tools-version:6.1
import PackageDescription

// Targets follow the pipeline: Admit (Trust) → Decide (Policy) → Confine (Sandbox)
// → Record (Ledger) → Emit (Events). See docs/ARCHITECTURE.md.
let package = Package(
    name: "Warden",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "warden", targets: ["warden"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // Shared value types, strict JSON, canonical encoding, errors. No I/O.
        .target(name: "WardenCore"),
        // Egress rules, DNS and TLS ClientHello parsing, the nftables ruleset: pure logic (docs/NETWORK.md).
        .target(name: "WardenNet"),
        // ELF headers, dynamic section and ld.so.cache: what a native program needs to load. Pure, bounded.
        .target(name: "WardenELF"),
        // Home directory layout, configuration, and the SQLite database (GRDB) with migrations.
        .target(name: "WardenHome", dependencies: [
            "WardenCore", "CWardenSQLite",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // Admit: keys, trust store, JWS, manifests, artifacts, authorizations.
        // Linux calls Swift's Glibc does not expose (memfd sealing).
        .target(name: "CWardenSys"),
        .target(name: "WardenTrust", dependencies: [
            "WardenCore", "WardenHome", "CWardenSys", "WardenNet", "WardenELF",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // Confine: the post-clone child and the syscalls Swift cannot make safely after clone.
        .target(name: "CWardenSpawn"),
        // One SQLite call Swift cannot make (variadic sqlite3_db_config); see WardenDatabase.
        .target(name: "CWardenSQLite", linkerSettings: [.linkedLibrary("sqlite3")]),
        // Confine: sandbox spec, mount plan, Landlock, seccomp BPF compiler, cgroups, supervisor, doctor.
        .target(name: "WardenSandbox", dependencies: ["WardenCore", "WardenNet", "WardenELF", "CWardenSpawn", "CWardenSys"]),
        // Decide: policy documents (YAML), the pure decide() evaluator, budgets, approvals, trifecta.
        .target(name: "WardenPolicy", dependencies: [
            "WardenCore", "WardenHome", "WardenTrust", "WardenNet",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // Release-mode micro-benchmark of decide() (see docs/POLICY.md).
        .executableTarget(name: "warden-bench-policy", dependencies: ["WardenPolicy", "WardenCore"]),
        // Test helper: admits runs against a home from a separate process (concurrency tests).
        .executableTarget(name: "warden-policy-probe", dependencies: ["WardenPolicy", "WardenCore", "WardenHome", "WardenTrust"]),
        // Record: signed, hash-chained, Merkle-verifiable audit ledger with group commit.
        .target(name: "WardenLedger", dependencies: [
            "WardenCore", "WardenHome", "WardenTrust",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // Emit: CloudEvents 1.0 encoding and sinks (stdout, file, HTTP).
        .target(name: "WardenEvents", dependencies: ["WardenCore", "WardenHome", "WardenLedger"]),
        // Release-mode ledger benchmark (append throughput, full verification).
        .executableTarget(name: "warden-bench-ledger", dependencies: [
            "WardenCore", "WardenHome", "WardenLedger",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Test helper: appends in a loop printing acknowledged seqs (crash-safety test).
        .executableTarget(name: "warden-ledger-crashtest", dependencies: [
            "WardenCore", "WardenHome", "WardenLedger",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The pipeline: Admit → Decide → Confine → Record → Emit (warden run).
        .target(name: "WardenRuntime", dependencies: [
            "WardenCore", "WardenHome", "WardenTrust", "WardenPolicy", "WardenSandbox", "WardenLedger", "WardenEvents", "WardenNet", "WardenELF",
        ]),
        // The local run service's transport: Unix socket, frames, descriptor passing.
        .target(name: "WardenServer", dependencies: ["WardenCore"]),
        .executableTarget(name: "warden", dependencies: [
            "WardenCore", "WardenHome", "WardenTrust", "WardenPolicy", "WardenSandbox", "WardenLedger", "WardenEvents", "WardenRuntime",
            "WardenServer", "WardenNet", "WardenELF",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // libFuzzer target for the parsers that read untrusted bytes (docs/FUZZING.md).
        .executableTarget(name: "warden-fuzz", dependencies: ["WardenCore", "WardenTrust", "WardenServer", "WardenNet", "WardenELF"]),
        // Admission benchmarks (scripts/bench-trust.sh, docs/BENCHMARKS.md).
        .executableTarget(name: "warden-bench-trust", dependencies: ["WardenCore", "WardenTrust"]),
        // Sandbox spawn-latency benchmark (docs/SANDBOX.md).
        .executableTarget(name: "warden-bench-sandbox", dependencies: ["WardenSandbox"]),
        // Shared by the test targets: running programs, a deterministic PRNG.
        .target(name: "WardenTestSupport", path: "Tests/WardenTestSupport"),
        .testTarget(name: "WardenNetTests", dependencies: ["WardenNet", "WardenTestSupport"]),
        .testTarget(name: "WardenELFTests", dependencies: ["WardenELF", "WardenTestSupport"]),
        .testTarget(name: "WardenCoreTests", dependencies: ["WardenCore", "WardenTestSupport"]),
        .testTarget(name: "WardenTrustTests", dependencies: [
            "WardenTrust", "WardenHome", "WardenCore", "WardenTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "WardenServerTests", dependencies: ["WardenServer", "WardenCore"]),
        .testTarget(name: "WardenCLITests", dependencies: ["WardenCore", "WardenTestSupport"]),
        // End-to-end acceptance suite: drives the built `warden` binary (docs/ACCEPTANCE.md).
        .testTarget(name: "WardenAcceptanceTests", dependencies: ["WardenCore", "WardenTestSupport"]),
        .testTarget(name: "WardenSandboxTests", dependencies: ["WardenSandbox", "WardenCore", "WardenNet", "WardenTestSupport", "CWardenSys", "CWardenSpawn"],
                    exclude: ["Probe", "Net"]),  // C escape probe and the egress test host, compiled by the tests with cc -static
        .testTarget(name: "WardenPolicyTests", dependencies: ["WardenPolicy", "WardenNet", "WardenHome", "WardenCore", "WardenTrust", "WardenTestSupport"]),
        .testTarget(name: "WardenLedgerTests", dependencies: [
            "WardenLedger", "WardenHome", "WardenCore", "WardenTrust", "WardenTestSupport",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "WardenEventsTests", dependencies: ["WardenEvents", "WardenLedger", "WardenHome", "WardenCore", "WardenTrust", "WardenTestSupport",
            .product(name: "Crypto", package: "swift-crypto"),
        ], exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v6]
)
