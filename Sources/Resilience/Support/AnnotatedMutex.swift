import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A `Synchronization.Mutex` whose critical sections ThreadSanitizer can see.
///
/// On Linux, `Mutex` locks inside the prebuilt Synchronization library, which is not instrumented, so
/// under `swift test --sanitize=thread` every access to its state is reported as a race (a false
/// positive: a plain `Mutex<Int>` counter shows it). This wrapper tells the sanitizer about the lock:
/// when the ThreadSanitizer runtime is present in the process, each critical section calls
/// `__tsan_acquire` after locking and `__tsan_release` before unlocking, on the mutex's address. In a
/// normal build the runtime is absent and the cost is one predictable branch per critical section.
///
/// Use it everywhere this package would use `Mutex`: it is the same lock with the same API.
@usableFromInline
package struct AnnotatedMutex<Value: ~Copyable>: ~Copyable {
    @usableFromInline
    let mutex: Mutex<Value>

    /// Creates a mutex protecting `initialValue`.
    package init(_ initialValue: consuming sending Value) {
        mutex = Mutex(initialValue)
    }

    /// Runs `body` with exclusive access to the protected value.
    @inlinable
    package borrowing func withLock<Result: ~Copyable, Failure: Error>(
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        try mutex.withLock { (value: inout sending Value) throws(Failure) -> sending Result in
            guard let hooks = ThreadSanitizerHooks.shared else { return try body(&value) }
            let address = withUnsafePointer(to: mutex) { UnsafeRawPointer($0) }
            hooks.acquire(address)
            defer { hooks.release(address) }
            return try body(&value)
        }
    }
}

// Safe because every access to `mutex`'s value goes through `Mutex.withLock`.
extension AnnotatedMutex: @unchecked Sendable where Value: ~Copyable {}

/// The ThreadSanitizer runtime's happens-before annotations, found at run time; `nil` when the
/// process was not built with `-sanitize=thread`.
@usableFromInline
package struct ThreadSanitizerHooks: Sendable {
    @usableFromInline
    typealias Annotation = @convention(c) (UnsafeRawPointer?) -> Void

    @usableFromInline
    let acquire: Annotation
    @usableFromInline
    let release: Annotation

    @usableFromInline
    package static let shared: ThreadSanitizerHooks? = {
        #if canImport(Glibc) || canImport(Musl) || canImport(Darwin)
        #if canImport(Darwin)
        let defaultHandle = UnsafeMutableRawPointer(bitPattern: -2)  // RTLD_DEFAULT
        #else
        let defaultHandle: UnsafeMutableRawPointer? = nil  // RTLD_DEFAULT
        #endif
        guard let acquire = dlsym(defaultHandle, "__tsan_acquire"),
            let release = dlsym(defaultHandle, "__tsan_release")
        else { return nil }
        return ThreadSanitizerHooks(
            acquire: unsafeBitCast(acquire, to: Annotation.self),
            release: unsafeBitCast(release, to: Annotation.self)
        )
        #else
        return nil
        #endif
    }()
}
