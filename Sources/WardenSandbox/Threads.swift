#if canImport(Glibc)
import Glibc
#endif

/// A detached-or-joinable POSIX thread running `body` (the proxy and DNS stub run on their own
/// threads beside the supervisor's poll loop; Foundation is not linked here).
final class NativeThread {
    private var handle = pthread_t()

    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts `body`; nil when the kernel refuses another thread.
    static func start(_ body: @escaping () -> Void) -> NativeThread? {
        let t = NativeThread()
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        let rc = pthread_create(&t.handle, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            return nil
        }
        return t
    }

    func join() { pthread_join(handle, nil) }
    func detach() { pthread_detach(handle) }
}
