#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One mutex with two condition variables, so that the group committer's signer and writer
/// threads can each be woken without waking the other (on a 2-core machine a needless
/// wake-up costs the other threads a core for a moment). Timed waits use CLOCK_MONOTONIC.
final class CommitterLock: @unchecked Sendable {
    enum Waiter: Int { case signer = 0, writer = 1 }

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let conditions = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 2)

    init() {
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        #if os(Linux)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        #endif
        pthread_cond_init(conditions, &attr)
        pthread_cond_init(conditions + 1, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(conditions)
        pthread_cond_destroy(conditions + 1)
        pthread_mutex_destroy(mutex)
        conditions.deallocate()
        mutex.deallocate()
    }

    /// Nanoseconds on the monotonic clock (the base of `wait(_:untilNanos:)`).
    static func nowNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }

    /// Wakes `who` if it is waiting (the lock should be held).
    func signal(_ who: Waiter) { pthread_cond_signal(conditions + who.rawValue) }

    func signalBoth() {
        pthread_cond_broadcast(conditions)
        pthread_cond_broadcast(conditions + 1)
    }

    /// Waits (lock held) until signalled; may wake spuriously, so callers re-check.
    func wait(_ who: Waiter) { pthread_cond_wait(conditions + who.rawValue, mutex) }

    /// Waits (lock held) until signalled or `deadline` (`nowNanos` base); false on timeout.
    @discardableResult
    func wait(_ who: Waiter, untilNanos deadline: UInt64) -> Bool {
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        return pthread_cond_timedwait(conditions + who.rawValue, mutex, &ts) == 0
    }
}
