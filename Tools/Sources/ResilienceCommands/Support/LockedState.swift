import Foundation

/// A value behind a lock, for the state the tool's threads and tasks share.
///
/// The lock is a Foundation `NSLock`, a `pthread_mutex_t` underneath, whose calls the thread
/// sanitizer intercepts: `swift test --sanitize=thread` sees the critical sections. (The library's
/// own lock wraps `Synchronization.Mutex`, which on Linux locks with futexes the sanitizer cannot
/// see, and annotates it by hand; that wrapper is no part of the library's API.) The tool's critical
/// sections are short and rare (an attempt starting or ending, a signal), so the cost does not matter.
///
/// `@unchecked Sendable`: every access to `value` happens between `lock.lock()` and `lock.unlock()`
/// in ``withLock(_:)``.
package final class LockedState<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    /// Creates the lock around `value`.
    ///
    /// - Parameter value: The initial value.
    package init(_ value: sending Value) {
        self.value = value
    }

    /// Runs `body` with exclusive access to the value.
    ///
    /// - Parameter body: What to do with the value.
    /// - Returns: What `body` returns.
    package func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
