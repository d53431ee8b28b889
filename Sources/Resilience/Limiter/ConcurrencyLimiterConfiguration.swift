/// How many calls a ``ConcurrencyLimiter`` runs at once, how many more may wait, and for how long: a
/// validated value.
///
/// The bulkhead of resilience4j (`maxConcurrentCalls`, `maxWaitDuration`) and Polly's concurrency
/// limiter (`PermitLimit`, `QueueLimit`) in one value:
///
/// - at most ``maxConcurrentCalls`` calls run at once;
/// - up to ``maxQueuedCalls`` more wait, first come first served, for at most ``maxWait`` each
///   (`nil`: for as long as it takes); a wait that runs out is refused with
///   ``LimitExceededError/Reason/queueTimeout``;
/// - any other call is refused at once with ``LimitExceededError/Reason/queueFull``.
///
/// ```swift
/// // 10 OCR calls at once; 20 more may wait up to 2 s each.
/// let ocrSlots = ConcurrencyLimiter(
///     name: "ocr",
///     configuration: try ConcurrencyLimiterConfiguration(maxConcurrentCalls: 10, maxQueuedCalls: 20, maxWait: .seconds(2))
/// )
/// // The same from literal values, without `try`: out-of-range values act as the nearest valid one.
/// let sameSlots = ConcurrencyLimiter(name: "ocr", configuration: .concurrentCalls(10, queued: 20, maxWait: .seconds(2)))
/// ```
///
/// Every field can also be set directly; ``validate()`` then checks the result, and a limiter given an
/// unchecked configuration still never crashes: out-of-range values act as the nearest valid one.
///
/// Configurations are `Codable`, for limits read from a configuration file; decoding checks every field
/// the same way (see ``init(from:)``).
public struct ConcurrencyLimiterConfiguration: Hashable, Sendable {
    /// The most calls running at once. From 1 to 2,147,483,647 (`Int32.max`).
    public var maxConcurrentCalls: Int
    /// The most calls waiting for a permit while every permit is in use; zero refuses every call that
    /// would wait. Zero or more.
    public var maxQueuedCalls: Int
    /// How long a call may wait for a permit before it is refused, or `nil` to wait for as long as it
    /// takes (until a permit comes free or the caller is cancelled). Zero or more; zero refuses every
    /// call that would wait, with ``LimitExceededError/Reason/queueTimeout``.
    public var maxWait: Duration?

    /// Creates a validated configuration.
    ///
    /// - Parameters:
    ///   - maxConcurrentCalls: The most calls running at once; from 1 to `Int32.max`.
    ///   - maxQueuedCalls: The most calls waiting for a permit; zero or more.
    ///   - maxWait: How long a call may wait for a permit, or `nil` for as long as it takes; zero or more.
    /// - Throws: ``ConfigurationError`` naming `maxConcurrentCalls`, `maxQueuedCalls` or `maxWait`.
    public init(maxConcurrentCalls: Int, maxQueuedCalls: Int = 0, maxWait: Duration? = nil) throws(ConfigurationError) {
        self.init(unchecked: maxConcurrentCalls, maxQueuedCalls: maxQueuedCalls, maxWait: maxWait)
        try validate()
    }

    init(unchecked maxConcurrentCalls: Int, maxQueuedCalls: Int, maxWait: Duration?) {
        self.maxConcurrentCalls = maxConcurrentCalls
        self.maxQueuedCalls = maxQueuedCalls
        self.maxWait = maxWait
    }

    /// A configuration from literal values, which never fails: a limit below 1 acts as 1 (and one
    /// above `Int32.max` as that), a negative queue as none, a negative wait as zero and one beyond
    /// about 292 years as that.
    ///
    /// - Parameters:
    ///   - limit: The most calls running at once.
    ///   - queued: The most calls waiting for a permit.
    ///   - maxWait: How long a call may wait for a permit, or `nil` for as long as it takes.
    /// - Returns: The configuration.
    public static func concurrentCalls(_ limit: Int, queued: Int = 0, maxWait: Duration? = nil) -> ConcurrencyLimiterConfiguration {
        ConcurrencyLimiterConfiguration(unchecked: limit, maxQueuedCalls: queued, maxWait: maxWait).normalized
    }

    /// A copy with `changes` applied, then checked.
    ///
    /// ```swift
    /// let configuration = try ConcurrencyLimiterConfiguration.concurrentCalls(10).with { $0.maxQueuedCalls = 50 }
    /// ```
    ///
    /// - Parameter changes: Sets the fields to change.
    /// - Returns: The changed configuration.
    /// - Throws: ``ConfigurationError`` naming the first invalid field.
    public func with(_ changes: (inout Self) -> Void) throws(ConfigurationError) -> ConcurrencyLimiterConfiguration {
        var copy = self
        changes(&copy)
        try copy.validate()
        return copy
    }

    /// Checks every field, throwing for the first invalid one.
    ///
    /// - Throws: ``ConfigurationError`` naming `maxConcurrentCalls` (below 1 or above `Int32.max`), `maxQueuedCalls`
    ///   (negative) or `maxWait` (negative, or beyond about 292 years).
    public func validate() throws(ConfigurationError) {
        guard maxConcurrentCalls >= 1 else {
            throw .invalid("maxConcurrentCalls", "must be at least 1, got \(maxConcurrentCalls)")
        }
        guard maxConcurrentCalls <= Int(Int32.max) else {
            throw .invalid("maxConcurrentCalls", "must be at most \(Int32.max), got \(maxConcurrentCalls)")
        }
        guard maxQueuedCalls >= 0 else {
            throw .invalid("maxQueuedCalls", "must not be negative, got \(maxQueuedCalls)")
        }
        if let maxWait {
            guard maxWait >= .zero else { throw .invalid("maxWait", "must not be negative, got \(maxWait)") }
            guard maxWait <= .saturatedMaximum else {
                throw .invalid("maxWait", "must be at most \(Duration.saturatedMaximum) (about 292 years), got \(maxWait)")
            }
        }
    }

    /// Every field brought to the nearest valid value.
    var normalized: ConcurrencyLimiterConfiguration {
        ConcurrencyLimiterConfiguration(
            unchecked: min(max(maxConcurrentCalls, 1), Int(Int32.max)),
            maxQueuedCalls: max(maxQueuedCalls, 0),
            maxWait: maxWait.map { min(max($0, .zero), .saturatedMaximum) }
        )
    }
}

extension ConcurrencyLimiterConfiguration: CustomStringConvertible {
    /// The limits, such as `10 at once, 20 queued for up to 2.0 s`.
    public var description: String {
        var text = "\(maxConcurrentCalls) at once"
        guard maxQueuedCalls > 0 else { return text }
        text += ", \(maxQueuedCalls) queued"
        if let maxWait { text += " for up to \(maxWait.inSeconds) s" }
        return text
    }
}
