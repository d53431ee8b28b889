/// The verdict of an ``ErrorClassifier`` on one error: its category and, for rate limits, how long the
/// server asked the caller to wait.
public struct ErrorClassification: Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure the error represents.
    public var category: ErrorCategory
    /// How long the server asked the caller to wait before trying again (an HTTP `Retry-After`, a
    /// provider's "try again in 20 s"), if it said.
    ///
    /// A retry loop never retries earlier than this, never waits past the applicable backoff's
    /// ``Backoff/maxDelay``, and fails fast when the hint is longer than the time left in the policy's
    /// ``RetryPolicy/maxElapsedTime``.
    public var retryAfter: Duration?

    /// Creates a classification.
    ///
    /// - Parameters:
    ///   - category: What kind of failure the error represents.
    ///   - retryAfter: How long the server asked the caller to wait, if it said. Negative values count as
    ///     zero; values over `Int64.max` nanoseconds (about 292 years) count as that.
    public init(_ category: ErrorCategory, retryAfter: Duration? = nil) {
        self.category = category
        self.retryAfter = retryAfter.map { min(max($0, .zero), .saturatedMaximum) }
    }

    /// The operation timed out.
    public static let timeout = ErrorClassification(.timeout)
    /// A connection could not be made or was lost.
    public static let connectionFailure = ErrorClassification(.connectionFailure)
    /// A local I/O failure likely to pass.
    public static let ioFailure = ErrorClassification(.ioFailure)
    /// Another transient failure, such as an HTTP 503.
    public static let transient = ErrorClassification(.transient)
    /// Retrying cannot help.
    public static let permanent = ErrorClassification(.permanent)
    /// A resilience strategy refused the call.
    public static let rejected = ErrorClassification(.rejected)
    /// The work was cancelled.
    public static let cancellation = ErrorClassification(.cancellation)

    /// The service asked the caller to slow down.
    ///
    /// - Parameter retryAfter: How long the server asked the caller to wait, if it said.
    public static func rateLimited(retryAfter: Duration? = nil) -> ErrorClassification {
        ErrorClassification(.rateLimited, retryAfter: retryAfter)
    }

    /// The category, and the hint if there is one, such as `rateLimited (retry after 4.0 s)`.
    public var description: String {
        guard let retryAfter else { return category.name }
        return "\(category.name) (retry after \(retryAfter.inSeconds) s)"
    }
}
