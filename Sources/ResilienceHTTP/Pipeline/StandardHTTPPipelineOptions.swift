#if HTTP
import Resilience

/// Every value of a ``StandardHTTPPipeline``: a validated value with settable fields, whose
/// ``standard`` values are those of Microsoft.Extensions.Http.Resilience's standard handler.
///
/// | field | standard |
/// |---|---|
/// | ``concurrencyLimit`` | 1 000 calls at once, none queued (the standard handler's rate limiter) |
/// | ``totalTimeout`` | 30 s, the whole call, waits included |
/// | ``retry`` | `RetryPolicy.standardHTTP`: 3 retries, exponential from 2 s, ±25 % jitter |
/// | ``circuitBreaker`` | `CircuitBreakerConfiguration.standardHTTP`: 10 % failures of at least 100 calls in 30 s, open 5 s |
/// | ``maximumCircuitBreakers`` | 1 000 authorities |
/// | ``attemptTimeout`` | 10 s, each attempt |
/// | ``idempotency`` | ``HTTPIdempotencyPolicy/default``: idempotent methods, or an `Idempotency-Key` |
///
/// ```swift
/// let options = try StandardHTTPPipelineOptions.standard.with {
///     $0.totalTimeout = .seconds(120)        // an LLM's long completions
///     $0.attemptTimeout = .seconds(60)
///     $0.retry.maxAttempts = 6
/// }
/// ```
public struct StandardHTTPPipelineOptions: Hashable, Sendable {
    /// The outermost limiter's calls at once and queue, or `nil` for none: the standard handler's
    /// rate limiter, a concurrency limiter of 1 000 permits and no queue. A limiter given to the
    /// pipeline's initialiser replaces it.
    public var concurrencyLimit: ConcurrencyLimiterConfiguration?
    /// The limit on the whole call, waits between retries included; `nil` for none. Positive, and
    /// longer than ``attemptTimeout``.
    public var totalTimeout: Duration?
    /// What is retried, how often and how long to wait.
    public var retry: RetryPolicy
    /// Each authority's breaker. A time-based sliding window must span at least twice the
    /// ``attemptTimeout``, so that the calls it judges have had time to fail.
    public var circuitBreaker: CircuitBreakerConfiguration
    /// The most authorities with a breaker of their own; at least 1 (see ``HTTPCircuitBreakerPool``).
    public var maximumCircuitBreakers: Int
    /// The limit on each attempt; `nil` for none. Positive.
    public var attemptTimeout: Duration?
    /// Which requests may be retried.
    public var idempotency: HTTPIdempotencyPolicy

    /// Creates validated options.
    ///
    /// - Parameters:
    ///   - concurrencyLimit: The outermost limiter's calls at once and queue, or `nil` for none.
    ///   - totalTimeout: The limit on the whole call, or `nil`.
    ///   - retry: What is retried, how often and how long to wait.
    ///   - circuitBreaker: Each authority's breaker.
    ///   - maximumCircuitBreakers: The most authorities with a breaker of their own.
    ///   - attemptTimeout: The limit on each attempt, or `nil`.
    ///   - idempotency: Which requests may be retried.
    /// - Throws: `ConfigurationError` naming the invalid field (see ``validate()``).
    public init(
        concurrencyLimit: ConcurrencyLimiterConfiguration? = .concurrentCalls(1_000),
        totalTimeout: Duration? = .seconds(30),
        retry: RetryPolicy = .standardHTTP,
        circuitBreaker: CircuitBreakerConfiguration = .standardHTTP,
        maximumCircuitBreakers: Int = 1_000,
        attemptTimeout: Duration? = .seconds(10),
        idempotency: HTTPIdempotencyPolicy = .default
    ) throws(ConfigurationError) {
        self.init(
            unchecked: concurrencyLimit, totalTimeout: totalTimeout, retry: retry, circuitBreaker: circuitBreaker,
            maximumCircuitBreakers: maximumCircuitBreakers,
            attemptTimeout: attemptTimeout, idempotency: idempotency
        )
        try validate()
    }

    private init(
        unchecked concurrencyLimit: ConcurrencyLimiterConfiguration?,
        totalTimeout: Duration?,
        retry: RetryPolicy,
        circuitBreaker: CircuitBreakerConfiguration,
        maximumCircuitBreakers: Int,
        attemptTimeout: Duration?,
        idempotency: HTTPIdempotencyPolicy
    ) {
        self.concurrencyLimit = concurrencyLimit
        self.totalTimeout = totalTimeout
        self.retry = retry
        self.circuitBreaker = circuitBreaker
        self.maximumCircuitBreakers = maximumCircuitBreakers
        self.attemptTimeout = attemptTimeout
        self.idempotency = idempotency
    }

    /// The standard handler's values (see the table above).
    public static var standard: StandardHTTPPipelineOptions {
        StandardHTTPPipelineOptions(
            unchecked: .concurrentCalls(1_000), totalTimeout: .seconds(30), retry: .standardHTTP, circuitBreaker: .standardHTTP,
            maximumCircuitBreakers: 1_000,
            attemptTimeout: .seconds(10), idempotency: .default
        )
    }

    /// A copy with `changes` applied, then checked: the way to adjust ``standard``.
    ///
    /// - Parameter changes: Sets the fields to change.
    /// - Returns: The changed options.
    /// - Throws: `ConfigurationError` naming the first invalid field.
    public func with(_ changes: (inout StandardHTTPPipelineOptions) -> Void) throws(ConfigurationError) -> StandardHTTPPipelineOptions {
        var copy = self
        changes(&copy)
        try copy.validate()
        return copy
    }

    /// Checks every field, throwing for the first invalid one.
    ///
    /// - Throws: `ConfigurationError` naming the field: `concurrencyLimit.…`, `totalTimeout` (not positive, or
    ///   not longer than the attempt timeout), `retry.…`, `circuitBreaker.…` (including
    ///   `circuitBreaker.slidingWindow` shorter than twice the attempt timeout),
    ///   `maximumCircuitBreakers` (below 1) or `attemptTimeout` (not positive).
    public func validate() throws(ConfigurationError) {
        if let concurrencyLimit {
            do { try concurrencyLimit.validate() } catch { throw Self.nested(error, under: "concurrencyLimit") }
        }
        if let totalTimeout, totalTimeout <= .zero {
            throw ConfigurationError(.invalidValue, field: "totalTimeout", reason: "must be positive, got \(totalTimeout)")
        }
        if let attemptTimeout, attemptTimeout <= .zero {
            throw ConfigurationError(.invalidValue, field: "attemptTimeout", reason: "must be positive, got \(attemptTimeout)")
        }
        if let totalTimeout, let attemptTimeout, totalTimeout <= attemptTimeout {
            throw ConfigurationError(
                .invalidValue, field: "totalTimeout",
                reason: "must be longer than attemptTimeout (\(attemptTimeout)), or no attempt could use its own limit; got \(totalTimeout)"
            )
        }
        do { try retry.validate() } catch { throw Self.nested(error, under: "retry") }
        do { try circuitBreaker.validate() } catch { throw Self.nested(error, under: "circuitBreaker") }
        if let attemptTimeout, let window = circuitBreaker.slidingWindow.duration, window / 2 < attemptTimeout {
            throw ConfigurationError(
                .invalidValue, field: "circuitBreaker.slidingWindow",
                reason:
                    "must span at least twice attemptTimeout (\(attemptTimeout)), so the calls it judges have had time to fail; got \(window)"
            )
        }
        guard maximumCircuitBreakers >= 1 else {
            throw ConfigurationError(
                .invalidValue, field: "maximumCircuitBreakers", reason: "must be at least 1, got \(maximumCircuitBreakers)")
        }
    }

    private static func nested(_ error: ConfigurationError, under prefix: String) -> ConfigurationError {
        var copy = error
        copy.field = error.field.isEmpty ? prefix : "\(prefix).\(error.field)"
        return copy
    }
}

#endif
