/// An operation did not finish within its time limit.
///
/// The library's own timeout error. ``ErrorClassifier/default`` classifies it as
/// ``ErrorCategory/timeout``, so retry policies that retry timeouts retry it.
public struct TimeoutError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The time limit that was exceeded.
    public var timeout: Duration

    /// Creates a timeout error for the given limit.
    ///
    /// - Parameter timeout: The time limit that was exceeded.
    public init(timeout: Duration) {
        self.timeout = timeout
    }

    /// A message such as `timed out after 5.0 seconds`.
    public var description: String {
        "timed out after \(timeout.inSeconds) seconds"
    }
}
