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
}
