// Test helper for WardenPolicyTests: admits runs of `ls` under a policy from a separate
// process, so tests can prove that budgets and approval nonces hold across concurrent
// processes (SQLite write lock), not just threads.
//
// usage: warden-policy-probe HOME POLICY TENANT COUNT [TOKEN]
// prints: {"allowed":N,"approval_required":N,"denied":N,"errors":{"code":N}}
import Foundation
import WardenCore
import WardenHome
import WardenPolicy
import WardenTrust

let args = CommandLine.arguments
guard args.count >= 5, let count = Int(args[4]) else {
    FileHandle.standardError.write(Data("usage: warden-policy-probe HOME POLICY TENANT COUNT [TOKEN]\n".utf8))
    exit(125)
}
do {
    let home = try Home.open(at: args[1])
    let db = try WardenDatabase(home: home)
    let gate = PolicyGate(store: PolicyStore(db: db), trust: TrustStore(home: home, db: db))
    let prepared = PreparedPolicy(try PolicyLoader.load(path: args[2]), host: LiveHostView())
    let request = ExecutionRequest(tenant: args[3], argv: ["ls"], workingDirectory: "/usr")
    var allowed = 0, pending = 0, denied = 0
    var errors: [String: JSONValue] = [:]
    for _ in 0..<count {
        do {
            switch try gate.authorize(request, policy: prepared, approvalToken: args.count > 5 ? args[5] : nil, now: Date()) {
            case .allowed(_, _, let reservation):
                allowed += 1
                try gate.complete(reservation, cpuSeconds: 0.2)
            case .approvalRequired: pending += 1
            case .denied: denied += 1
            }
        } catch {
            errors[error.code] = .int((errors[error.code]?.intValue ?? 0) + 1)
        }
    }
    print(CanonicalJSON.string(["allowed": .int(Int64(allowed)), "approval_required": .int(Int64(pending)),
                                "denied": .int(Int64(denied)), "errors": .object(errors)]))
} catch {
    FileHandle.standardError.write(Data("warden-policy-probe: \(error)\n".utf8))
    exit(125)
}
