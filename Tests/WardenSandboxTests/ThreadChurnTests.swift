import Foundation
import Synchronization
import Testing
import WardenCore
import WardenSandbox

extension SandboxEndToEnd {
/// A server spawns sandboxes from a process whose other threads come and go. The child of
/// `clone` inherits glibc's view of those threads; a libc call that synchronizes with them
/// (setgroups/setresuid broadcast credentials to every thread) waited forever for a thread
/// that was being created at the moment of the clone, and the run hung until its wall limit.
@Suite("spawning while threads come and go")
struct ThreadChurnTests {
    @Test func everySpawnCompletesWhileThreadsAreCreatedAndExit() throws {
        let stop = Atomic<Bool>(false)
        // Churn: threads created and exiting as fast as the machine allows.
        let churners = (0..<2).map { _ in
            Thread {
                while !stop.load(ordering: .relaxed) {
                    var t = pthread_t()
                    if pthread_create(&t, nil, { _ in nil }, nil) == 0 { pthread_join(t, nil) }
                }
            }
        }
        churners.forEach { $0.start() }
        defer { stop.store(true, ordering: .relaxed) }
        var slow: [Int64] = []
        for _ in 0..<100 {
            var spec = SandboxSpec(command: "/bin/true")
            spec.limits.wallSeconds = 3
            let report = try Sandbox.run(spec, output: nil)
            #expect(report.status == 0, "a spawn hung or failed: \(report.limitsHit)")
            if report.status != 0 { slow.append(report.wallMillis) }
        }
        #expect(slow.isEmpty, "runs that hit the wall limit: \(slow)")
    }

    /// Concurrent runs with writable trees (idmapped when root): each spawn creates helper
    /// processes and pipes while the others do the same, and none may wait on another's.
    @Test func concurrentSpawnsWithWritableTreesAllComplete() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warden-churn-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let failures = Mutex<[String]>([])
        let done = DispatchGroup()
        for t in 0..<4 {
            done.enter()
            Thread {
                defer { done.leave() }
                for i in 0..<25 {
                    var spec = SandboxSpec(command: "/bin/sh", arguments: ["-c", "echo \(t)-\(i) > \(dir)/f\(t)"],
                                           mounts: [.readWrite(source: dir, destination: dir)])
                    spec.limits.wallSeconds = 3
                    do throws(WardenError) {
                        let report = try Sandbox.run(spec, output: nil)
                        if report.status != 0 { failures.withLock { $0.append("thread \(t) run \(i): status \(report.status) \(report.limitsHit)") } }
                    } catch {
                        failures.withLock { $0.append("thread \(t) run \(i): \(error)") }
                    }
                }
            }.start()
        }
        // A deadlock would otherwise hang the test run itself.
        #expect(done.wait(timeout: .now() + 120) == .success, "spawns deadlocked")
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
    }
}
}
