/// Thrown instead of calling the operation when a limiter refuses the call: a concurrency limiter
/// whose queue is full or whose wait ran out, a rate limiter without a permit in time, a partitioned
/// limiter with no room for another partition, or an adaptive throttle shedding load.
///
/// Match the type and its ``reason``, never a message. The error classifies itself as
/// ``ErrorCategory/rejected`` with ``retryAfter`` as its hint, so no retry preset retries it (a retry
/// outside would only hammer the limiter) and a ``Fallback`` (which handles `.rejected` by default)
/// can take over; a policy that lists `.rejected` waits at least until a permit is free, as it would
/// for a server's `Retry-After`.
public struct LimitExceededError: Error, Hashable, Sendable, ClassifiableError, CustomStringConvertible {
    /// Why a limiter refused a call.
    ///
    /// A struct with static members rather than an enum, so reasons can be added without breaking
    /// code that switches over them.
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        @usableFromInline
        enum Storage: String, Hashable, Sendable {
            case queueFull, queueTimeout, rateExceeded, partitionsExhausted, throttled
        }

        @usableFromInline
        let storage: Storage

        @inlinable
        init(_ storage: Storage) {
            self.storage = storage
        }

        /// Every permit is in use and the queue of waiting calls is full.
        public static let queueFull = Reason(.queueFull)
        /// The call waited in the queue for as long as it may, and no permit came free.
        public static let queueTimeout = Reason(.queueTimeout)
        /// The rate limit is reached and no permit comes free within the time the call may wait.
        public static let rateExceeded = Reason(.rateExceeded)
        /// A partitioned limiter holds as many partitions as it may, and none is idle to make room.
        public static let partitionsExhausted = Reason(.partitionsExhausted)
        /// An adaptive throttle shed the call locally, because the downstream is refusing a share of
        /// the calls it gets.
        public static let throttled = Reason(.throttled)

        /// The reason's name as used in logs and metrics, such as `queueFull`.
        public var name: String { storage.rawValue }

        /// The reason's ``name``.
        public var description: String { name }
    }

    /// The name of the limiter that refused the call.
    public var limiterName: String
    /// Why it refused the call. Plays the part of an error code.
    public var reason: Reason
    /// How long until the limiter may admit the call, when known (a rate limiter's next permit).
    public var retryAfter: Duration?

    /// Creates the error.
    ///
    /// - Parameters:
    ///   - limiterName: The name of the limiter that refused the call.
    ///   - reason: Why it refused the call.
    ///   - retryAfter: How long until a permit may be free, if known; negative values count as zero.
    public init(limiterName: String, reason: Reason, retryAfter: Duration? = nil) {
        self.limiterName = limiterName
        self.reason = reason
        self.retryAfter = retryAfter.map { max($0, .zero) }
    }

    /// ``ErrorCategory/rejected``, with ``retryAfter`` as the hint.
    public var resilienceClassification: ErrorClassification {
        ErrorClassification(.rejected, retryAfter: retryAfter)
    }

    /// A message such as `limiter "ocr" refused the call (queueFull)` or
    /// `limiter "api" refused the call (rateExceeded); a permit is free in 0.25 s`.
    public var description: String {
        let base = "limiter \"\(limiterName)\" refused the call (\(reason))"
        guard let retryAfter else { return base }
        return base + "; a permit is free in \(retryAfter.inSeconds) s"
    }
}
