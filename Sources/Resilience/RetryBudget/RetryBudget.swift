/// A limit on retries shared by every call that uses it, so that an outage does not multiply the load
/// on a struggling service (a "retry storm").
///
/// Give one budget to the ``Retry`` strategies (or `retry(…)` calls) of a downstream: each retry must
/// be allowed by the budget; when it refuses, the loop stops and rethrows the attempt's error unchanged
/// (stop reason ``RetryStopReason/retryBudgetExhausted``, and a
/// ``ResilienceEvent/Kind/retryBudgetRefused`` event).
///
/// Two rules:
/// - ``tokenBucket(capacity:retryCost:successRefill:name:observer:)``: the AWS SDK and gRPC style.
///   Every retry costs tokens, every success puts some back; retries stop while the bucket is too low.
/// - ``ratio(_:window:minimumRetries:clock:name:observer:)``: Google SRE's "retries at most 10 % of
///   requests": over a sliding time window, retries may not exceed a share of requests (plus a small
///   allowance, so that low traffic can still retry).
///
/// Under a total outage with 3-attempt retries, a 10 % budget keeps attempts per request at about 1.1
/// instead of 3.
///
/// A ratio budget can also follow its fleet: ``fleetSummary(instance:unixTime:)`` gives a fleet's sync
/// its counts, and ``followFleet(_:for:)`` applies the fleet's ``FleetRetryBudgetDecision``, a veto
/// on retries while the fleet as a whole has spent its share.
///
/// ```swift
/// let budget = RetryBudget.ratio(0.1, window: .seconds(10))
/// let vision = Retry(.rateLimit, budget: budget)
/// ```
public final class RetryBudget: Sendable, CustomStringConvertible {
    /// The budget's name, carried by its events.
    public let name: String
    /// Receives a ``ResilienceEvent/Kind/retryBudgetRefused`` event for every refusal, or `nil`.
    public let observer: (any ResilienceObserver)?

    /// The rule's state; the fleet extension (`RetryBudget+Fleet.swift`) sets its veto.
    let state: AnnotatedMutex<RetryBudgetState>
    /// Whether the rule counts requests (ratio budgets do, token buckets do not).
    private let countsRequests: Bool
    /// The time since the budget was created, on its clock (ratio budgets only).
    let elapsed: @Sendable () -> Duration

    private init(
        state: RetryBudgetState,
        name: String,
        observer: (any ResilienceObserver)?,
        elapsed: @escaping @Sendable () -> Duration
    ) {
        self.countsRequests = state.countsRequests
        self.state = AnnotatedMutex(state)
        self.name = name
        self.observer = observer
        self.elapsed = elapsed
    }

    /// A token bucket: it starts full; each retry takes `retryCost` tokens and is refused when fewer
    /// remain; each successful call puts back `successRefill` tokens, up to `capacity`.
    ///
    /// With every call failing, at most `capacity / retryCost` retries happen before the bucket is
    /// empty; successes make room again.
    ///
    /// - Parameters:
    ///   - capacity: The most tokens the bucket holds; positive.
    ///   - retryCost: What one retry costs; positive.
    ///   - successRefill: What one success puts back; zero or more.
    ///   - name: The budget's name, carried by its events.
    ///   - observer: Receives the budget's events.
    /// - Throws: ``ConfigurationError`` naming `capacity`, `retryCost` or `successRefill`.
    public static func tokenBucket(
        capacity: Double = 100,
        retryCost: Double = 1,
        successRefill: Double = 0.1,
        name: String = "retry-budget",
        observer: (any ResilienceObserver)? = nil
    ) throws(ConfigurationError) -> RetryBudget {
        guard capacity.isFinite, capacity > 0 else {
            throw .invalid("capacity", "must be a positive number, got \(capacity)")
        }
        guard retryCost.isFinite, retryCost > 0 else {
            throw .invalid("retryCost", "must be a positive number, got \(retryCost)")
        }
        guard successRefill.isFinite, successRefill >= 0 else {
            throw .invalid("successRefill", "must be a non-negative number, got \(successRefill)")
        }
        let bucket = RetryBudgetState.TokenBucket(capacity: capacity, retryCost: retryCost, successRefill: successRefill)
        return RetryBudget(state: RetryBudgetState(bucket), name: name, observer: observer, elapsed: { .zero })
    }

    /// A ratio over a sliding window: a retry is allowed while the retries in the last `window` stay
    /// within `minimumRetries + ratio × requests` in that window.
    ///
    /// - Parameters:
    ///   - ratio: The share of requests that may be retried, in `0...1` (Google SRE: 0.1).
    ///   - window: How far back requests and retries count; positive. Kept in 10 buckets that expire as
    ///     the clock advances.
    ///   - minimumRetries: Retries allowed per window whatever the traffic; zero or more.
    ///   - clock: The clock the window moves on.
    ///   - name: The budget's name, carried by its events.
    ///   - observer: Receives the budget's events.
    /// - Throws: ``ConfigurationError`` naming `ratio`, `window` or `minimumRetries`.
    public static func ratio<ClockType: Clock>(
        _ ratio: Double,
        window: Duration = .seconds(10),
        minimumRetries: Int = 10,
        clock: ClockType,
        name: String = "retry-budget",
        observer: (any ResilienceObserver)? = nil
    ) throws(ConfigurationError) -> RetryBudget where ClockType.Duration == Duration {
        guard (0...1).contains(ratio) else { throw .invalid("ratio", "must be in 0...1, got \(ratio)") }
        guard window > .zero else { throw .invalid("window", "must be positive, got \(window)") }
        guard minimumRetries >= 0 else {
            throw .invalid("minimumRetries", "must not be negative, got \(minimumRetries)")
        }
        let start = clock.now
        let window = RetryBudgetState.RatioWindow(ratio: ratio, window: window, minimumRetries: minimumRetries)
        return RetryBudget(
            state: RetryBudgetState(window),
            name: name,
            observer: observer,
            elapsed: { start.duration(to: clock.now) }
        )
    }

    /// A ratio over a sliding window on the continuous clock; see
    /// ``ratio(_:window:minimumRetries:clock:name:observer:)``.
    ///
    /// - Parameters:
    ///   - ratio: The share of requests that may be retried, in `0...1`.
    ///   - window: How far back requests and retries count; positive.
    ///   - minimumRetries: Retries allowed per window whatever the traffic; zero or more.
    ///   - name: The budget's name, carried by its events.
    ///   - observer: Receives the budget's events.
    /// - Throws: ``ConfigurationError`` naming `ratio`, `window` or `minimumRetries`.
    public static func ratio(
        _ ratio: Double,
        window: Duration = .seconds(10),
        minimumRetries: Int = 10,
        name: String = "retry-budget",
        observer: (any ResilienceObserver)? = nil
    ) throws(ConfigurationError) -> RetryBudget {
        try Self.ratio(
            ratio, window: window, minimumRetries: minimumRetries, clock: ContinuousClock(), name: name, observer: observer
        )
    }

    /// Records the first attempt of a call (ratio budgets count requests).
    public func recordRequest() {
        guard countsRequests else { return }
        let now = elapsed()
        state.withLock { $0.recordRequest(at: now) }
    }

    /// Records a successful attempt (token buckets refill).
    public func recordSuccess() {
        state.withLock { $0.recordSuccess() }
    }

    /// Asks to retry after attempt `attempt`, taking the cost from the budget if allowed.
    ///
    /// - Parameter attempt: The number of the attempt that failed (for the refusal event).
    /// - Returns: Whether the retry may go ahead.
    public func tryAcquireRetry(afterAttempt attempt: Int) -> Bool {
        let now = elapsed()
        let allowed = state.withLock { $0.tryAcquireRetry(at: now) }
        if !allowed {
            observer?.observe(.retryBudgetRefused(strategy: name, budget: name, attempt: attempt))
        }
        return allowed
    }

    /// What the budget holds now: tokens left, or requests and retries in the window.
    public var snapshot: Snapshot {
        let now = elapsed()
        return state.withLock { $0.snapshot(at: now) }
    }

    /// The budget's state at one moment.
    public struct Snapshot: Hashable, Sendable {
        /// The tokens left, for a token bucket.
        public var tokens: Double?
        /// The requests counted in the window, for a ratio budget.
        public var requestsInWindow: Int?
        /// The retries counted in the window, for a ratio budget.
        public var retriesInWindow: Int?

        /// Creates a snapshot.
        ///
        /// - Parameters:
        ///   - tokens: The tokens left, for a token bucket.
        ///   - requestsInWindow: The requests in the window, for a ratio budget.
        ///   - retriesInWindow: The retries in the window, for a ratio budget.
        public init(tokens: Double? = nil, requestsInWindow: Int? = nil, retriesInWindow: Int? = nil) {
            self.tokens = tokens
            self.requestsInWindow = requestsInWindow
            self.retriesInWindow = retriesInWindow
        }
    }

    /// The rule and its parameters, such as `retry-budget(ratio 0.1 over 10.0 s, minimum 10)`.
    public var description: String {
        "\(name)(\(state.withLock { $0.ruleDescription }))"
    }
}
