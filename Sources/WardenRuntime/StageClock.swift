import Foundation

/// Measures the pipeline stages for the outcome and the benchmark.
struct StageClock {
    private(set) var stages: [(stage: String, millis: Double)] = []
    private var mark = DispatchTime.now().uptimeNanoseconds

    /// Closes the current stage under `name` and starts the next.
    mutating func lap(_ name: String) {
        let now = DispatchTime.now().uptimeNanoseconds
        stages.append((name, Double(now - mark) / 1e6))
        mark = now
    }

    /// Closes the current stage under `name`, except the part that was `counting.millis` of
    /// stage `counting.stage` running inside it (reported under that stage instead).
    mutating func lap(_ name: String, counting inner: (stage: String, millis: Double)) {
        let now = DispatchTime.now().uptimeNanoseconds
        stages.append(inner)
        stages.append((name, Double(now - mark) / 1e6 - inner.millis))
        mark = now
    }
}
