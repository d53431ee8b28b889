#if HTTP
import HTTPTypes
import Resilience

/// One circuit breaker per authority (scheme, host, port), made on first use and kept in a bounded
/// pool: a failing host opens its own breaker without stopping calls to the others.
///
/// ```swift
/// let breakers = HTTPCircuitBreakerPool(configuration: .standardHTTP, observer: LoggingObserver())
/// let response = try await breakers.execute(for: request, classifyingResult: { classifier.classify($0) }) {
///     try await client.send(request)
/// }
/// ```
///
/// **The bound.** The pool keeps at most ``maximumCount`` breakers. When a new authority arrives at a
/// full pool, the least recently used breaker that is **closed and idle** (no call through
/// `execute(for:classifyingResult:_:)` in flight) is evicted to make room: it holds nothing worth
/// keeping but its recent counts. Breakers that are open, half-open, isolated or disabled are never
/// evicted, since forgetting them would let calls through to a host known to fail (or undo a manual
/// decision), nor are those with calls in flight.
///
/// **When the pool is full** of breakers it may not evict, a call to a new authority gets a fresh
/// breaker that is not kept: the call runs, but without a breaker's protection across calls (it is
/// never refused because of the bound, which exists for memory, not for load).
/// ``snapshot()``'s ``HTTPCircuitBreakerPool/Snapshot/overflows`` counts those calls; raise
/// ``maximumCount`` if it grows.
///
/// The pool is a `Sendable` class: share one per downstream group. Its bookkeeping is a value type
/// behind a mutex; a call takes that lock twice (to find its breaker and to end), besides the
/// breaker's own.
public final class HTTPCircuitBreakerPool<ClockType: Clock>: Sendable where ClockType.Duration == Duration {
    /// The prefix of every breaker's name: a breaker is named `prefix[https://api.example.com]`.
    public let name: String
    /// The most breakers kept; at least 1.
    public let maximumCount: Int
    /// Every breaker's configuration.
    public let configuration: CircuitBreakerConfiguration
    /// The breakers' clock.
    public let clock: ClockType
    /// Maps errors to their categories, for every breaker.
    public let classifier: ErrorClassifier
    /// Receives every breaker's events; `nil` for none.
    public let observer: (any ResilienceObserver)?

    private let state: AnnotatedMutex<CircuitBreakerPoolState<CircuitBreaker<ClockType>>>

    /// Creates an empty pool.
    ///
    /// - Parameters:
    ///   - name: The prefix of every breaker's name.
    ///   - maximumCount: The most breakers kept; values below 1 count as 1.
    ///   - configuration: Every breaker's configuration.
    ///   - clock: The breakers' clock.
    ///   - classifier: Maps errors to their categories.
    ///   - observer: Receives every breaker's events.
    public init(
        name: String = "circuit-breaker",
        maximumCount: Int = 1_000,
        configuration: CircuitBreakerConfiguration = .standardHTTP,
        clock: ClockType,
        classifier: ErrorClassifier = .default,
        observer: (any ResilienceObserver)? = nil
    ) {
        self.name = name
        self.maximumCount = max(maximumCount, 1)
        self.configuration = configuration
        self.clock = clock
        self.classifier = classifier
        self.observer = observer
        self.state = AnnotatedMutex(CircuitBreakerPoolState(capacity: maximumCount))
    }

    /// The breaker for `authority`: the pooled one, or a new one (kept if there is room or room can be
    /// made; see ``HTTPCircuitBreakerPool``). Calls made on it directly are not counted as in flight,
    /// so it may be evicted while they run (they finish on it; later lookups get a new one): prefer
    /// `execute(for:classifyingResult:_:)`.
    ///
    /// - Parameter authority: The authority.
    /// - Returns: Its breaker.
    public func breaker(for authority: HTTPAuthority) -> CircuitBreaker<ClockType> {
        lease(authority, counting: false).breaker
    }

    /// The breaker for `request`'s authority (see ``breaker(for:)``).
    ///
    /// - Parameter request: The request.
    /// - Returns: Its authority's breaker.
    public func breaker(for request: HTTPRequest) -> CircuitBreaker<ClockType> {
        breaker(for: HTTPAuthority(request))
    }

    /// Runs `operation` through `authority`'s breaker, counting the values `classifyResult` classifies
    /// as failures; the breaker is not evicted while the call runs.
    ///
    /// - Parameters:
    ///   - authority: The authority the call goes to.
    ///   - classifyResult: A failure classification for a value that should count as a failure, or
    ///     `nil` for a success.
    ///   - operation: The call, run in the caller's isolation.
    /// - Returns: The operation's value.
    /// - Throws: `CircuitOpenError` when the authority's breaker refuses the call;
    ///   otherwise the operation's error, unchanged.
    nonisolated(nonsending) public func execute<Result>(
        for authority: HTTPAuthority,
        classifyingResult classifyResult: (Result) -> ErrorClassification? = { _ in nil },
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        try await execute(for: authority, joining: nil, classifyingResult: classifyResult, operation)
    }

    /// Runs `operation` through `authority`'s breaker, viewed as a member of `context` (for a call's
    /// own observer) when there is one.
    nonisolated(nonsending) func execute<Result>(
        for authority: HTTPAuthority,
        joining context: PipelineContext?,
        classifyingResult classifyResult: (Result) -> ErrorClassification?,
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        try Task.checkCancellation()
        let (breaker, pooled) = lease(authority, counting: true)
        defer {
            if pooled { state.withLock { $0.release(authority, breaker: breaker) } }
        }
        let view = context.map { breaker.joining($0) } ?? breaker
        return try await view.execute(classifyingResult: classifyResult, operation)
    }

    /// Runs `operation` through the breaker of `request`'s authority (see
    /// `execute(for:classifyingResult:_:)` with its authority).
    ///
    /// - Parameters:
    ///   - request: The request the call sends.
    ///   - classifyResult: A failure classification for a value that should count as a failure, or `nil`.
    ///   - operation: The call, run in the caller's isolation.
    /// - Returns: The operation's value.
    /// - Throws: `CircuitOpenError` when the breaker refuses the call; otherwise the
    ///   operation's error, unchanged.
    nonisolated(nonsending) public func execute<Result>(
        for request: HTTPRequest,
        classifyingResult classifyResult: (Result) -> ErrorClassification? = { _ in nil },
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        try await execute(for: HTTPAuthority(request), classifyingResult: classifyResult, operation)
    }

    /// Forgets every breaker; calls in flight finish on the breakers they hold.
    public func removeAll() {
        state.withLock { $0.removeAll() }
    }

    /// What the pool holds now.
    ///
    /// - Returns: Its authorities, most recently used first, and its counts.
    public func snapshot() -> Snapshot {
        state.withLock { state in
            Snapshot(
                authorities: state.authoritiesByRecency,
                maximumCount: state.capacity,
                evictions: state.evictions,
                overflows: state.overflows
            )
        }
    }

    /// What an ``HTTPCircuitBreakerPool`` holds at one moment.
    public struct Snapshot: Hashable, Sendable {
        /// The authorities with a pooled breaker, most recently used first.
        public var authorities: [HTTPAuthority]
        /// The most breakers the pool keeps.
        public var maximumCount: Int
        /// Breakers evicted to make room for others, since the pool was made.
        public var evictions: Int
        /// Calls (and lookups) that got a breaker the pool did not keep, being full of breakers it may
        /// not evict, since the pool was made.
        public var overflows: Int

        /// Creates a snapshot.
        ///
        /// - Parameters:
        ///   - authorities: The authorities with a pooled breaker, most recently used first.
        ///   - maximumCount: The most breakers the pool keeps.
        ///   - evictions: Breakers evicted so far.
        ///   - overflows: Breakers handed out unkept so far.
        public init(authorities: [HTTPAuthority], maximumCount: Int, evictions: Int, overflows: Int) {
            self.authorities = authorities
            self.maximumCount = maximumCount
            self.evictions = evictions
            self.overflows = overflows
        }

        /// The number of pooled breakers.
        public var count: Int { authorities.count }
    }

    private func lease(_ authority: HTTPAuthority, counting: Bool) -> (breaker: CircuitBreaker<ClockType>, pooled: Bool) {
        state.withLock { state in
            state.breaker(
                for: authority,
                counting: counting,
                isEvictable: { $0.state == .closed },
                make: { makeBreaker(for: authority) }
            )
        }
    }

    private func makeBreaker(for authority: HTTPAuthority) -> CircuitBreaker<ClockType> {
        CircuitBreaker(
            name: "\(name)[\(authority)]", configuration: configuration, clock: clock, classifier: classifier, observer: observer
        )
    }
}

extension HTTPCircuitBreakerPool where ClockType == ContinuousClock {
    /// Creates an empty pool on the continuous clock.
    ///
    /// - Parameters:
    ///   - name: The prefix of every breaker's name.
    ///   - maximumCount: The most breakers kept; values below 1 count as 1.
    ///   - configuration: Every breaker's configuration.
    ///   - classifier: Maps errors to their categories.
    ///   - observer: Receives every breaker's events.
    public convenience init(
        name: String = "circuit-breaker",
        maximumCount: Int = 1_000,
        configuration: CircuitBreakerConfiguration = .standardHTTP,
        classifier: ErrorClassifier = .default,
        observer: (any ResilienceObserver)? = nil
    ) {
        self.init(
            name: name, maximumCount: maximumCount, configuration: configuration, clock: ContinuousClock(), classifier: classifier,
            observer: observer
        )
    }
}

#endif
