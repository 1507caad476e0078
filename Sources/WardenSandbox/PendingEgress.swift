import WardenCore

/// `EgressRun.start` on a thread of its own, so the namespace's set-up (a helper process
/// running nft) overlaps the creation of the per-run cgroups instead of following it.
/// `wait()` joins it; when the thread cannot be started the set-up runs in `wait()` instead.
final class PendingEgress: @unchecked Sendable {
    private let pid: Int32
    private let egress: SandboxSpec.Egress
    private let nftPath: String
    private let sockFilter: CgroupSockFilter?
    private var result: Result<EgressRun, WardenError>?
    private var thread: NativeThread?

    init(pid: Int32, egress: SandboxSpec.Egress, nftPath: String, sockFilter: CgroupSockFilter?) {
        self.pid = pid
        self.egress = egress
        self.nftPath = nftPath
        self.sockFilter = sockFilter
        thread = NativeThread.start { [self] in result = run() }
    }

    private func run() -> Result<EgressRun, WardenError> {
        do throws(WardenError) {
            return .success(try EgressRun.start(pid: pid, egress: egress, nftPath: nftPath, sockFilter: sockFilter))
        } catch {
            return .failure(error)
        }
    }

    /// The started run (or why it could not start); call once.
    func wait() -> Result<EgressRun, WardenError> {
        if let t = thread { t.join() } else { result = run() }
        return result ?? .failure(.denied("sandbox.egress_failed", "the egress set-up thread ended without a result"))
    }
}
