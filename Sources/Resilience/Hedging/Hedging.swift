/// Hedged requests: when an attempt has not answered after a delay, another starts alongside it,
/// and the first acceptable answer wins (Polly's hedging strategy, gRPC's hedging policy).
///
/// Hedging cuts tail latency: when one call in twenty is slow because one replica is, a second
/// attempt started at the 95th percentile usually answers first. It costs extra load, which a
/// ``RetryBudget`` can cap.
///
/// ```swift
/// let hedging = Hedging(try HedgingPolicy(maxAttempts: 3, delay: .milliseconds(200)), name: "search")
/// let results = try await hedging.executeAttempts { attempt in
///     try await replicas[attempt.number - 1].search(query)      // each attempt asks another replica
/// }
/// ```
///
/// **The rules**, in the order they apply:
/// - A caller already cancelled gets `CancellationError` and the operation never runs.
/// - The first attempt starts at once; each further one starts ``HedgingPolicy/delay`` after the
///   previous one started if no attempt has answered by then, until ``HedgingPolicy/maxAttempts``
///   attempts have started.
/// - The first attempt to return an accepted value wins: the others are **cancelled and awaited**,
///   so when the call returns nothing it started is still running. The operation must honour
///   cancellation for that to be prompt (the clocks' sleeps, URLSession, AsyncHTTPClient do).
/// - An attempt that fails in a hedgeable way (a category in ``HedgingPolicy/hedgeableCategories``,
///   or what ``shouldHedge`` accepts) starts the next attempt at once; the delay to the one after
///   counts from then.
/// - Any other failure is final: the others are cancelled and awaited, and its error is rethrown.
/// - When every attempt has failed, the error of the last one to fail is rethrown **unchanged**.
/// - With a ``budget``, every hedge (every attempt after the first) must be allowed by
///   ``RetryBudget/tryAcquireRetry(afterAttempt:)``; once it refuses, the call starts no more.
/// - Cancelling the caller cancels every attempt and starts no more; the call ends with the first
///   outcome that arrives (usually the attempts' `CancellationError`).
///
/// **Isolation.** The operation need not be `Sendable`: every attempt runs in a child task isolated
/// to the caller's actor, so attempts interleave at their suspension points but never run in
/// parallel, and may touch the caller's state. A caller on no actor gets a private serial actor for
/// the call, with the same guarantee. For a `Sendable` operation, ``executeConcurrently(_:)`` lets the
/// attempts run in parallel on the global executor instead, and saves that actor.
///
/// **Events**: ``ResilienceEvent/Kind/hedgeStarted`` for every hedge,
/// ``ResilienceEvent/Kind/attemptFailed`` and ``ResilienceEvent/Kind/resultRejected`` for attempts
/// that fail, ``ResilienceEvent/Kind/attemptSucceeded`` for the winner and
/// ``ResilienceEvent/Kind/retryBudgetRefused`` when the budget refuses a hedge. Cancelled losers
/// report nothing.
///
/// **In a pipeline**, the strategies listed after the hedging one run inside each attempt (a
/// per-attempt ``Timeout``, one replica's ``CircuitBreaker``); those before it see one call.
public struct Hedging<ClockType: Clock>: ResilienceStrategy, ObservedStrategy, ResultClassifyingStrategy
where ClockType.Duration == Duration {
    /// How many attempts, how long between them, and which failures hedge.
    public var policy: HedgingPolicy
    /// The strategy's name, reported in its events (for example `"search-hedging"`).
    public var name: String
    /// The clock the delays are measured on.
    public var clock: ClockType
    /// Maps each error to its category.
    public var classifier: ErrorClassifier
    /// The retry budget every hedge must be allowed by, shared with other calls; `nil` for none.
    public var budget: RetryBudget?
    /// Receives the strategy's events, or `nil`.
    public var observer: (any ResilienceObserver)?
    /// Decides whether a failed attempt starts the next one at once, instead of the policy's
    /// ``HedgingPolicy/hedgeableCategories``; `nil` to use the categories. A cancellation never
    /// hedges, whatever it says. Rejected results (``execute(classifyingResult:_:)``) always follow
    /// the categories.
    public var shouldHedge: HedgingPredicate?

    /// Creates a hedging strategy.
    ///
    /// - Parameters:
    ///   - policy: How many attempts, how long between them, and which failures hedge.
    ///   - name: The name reported in events.
    ///   - clock: The clock the delays are measured on.
    ///   - classifier: Maps each error to its category.
    ///   - budget: A retry budget every hedge must be allowed by.
    ///   - observer: Receives the strategy's events.
    ///   - shouldHedge: Decides whether a failure hedges, instead of the policy's categories.
    public init(
        _ policy: HedgingPolicy = .default,
        name: String = "hedging",
        clock: ClockType,
        classifier: ErrorClassifier = .default,
        budget: RetryBudget? = nil,
        observer: (any ResilienceObserver)? = nil,
        shouldHedge: HedgingPredicate? = nil
    ) {
        self.policy = policy
        self.name = name
        self.clock = clock
        self.classifier = classifier
        self.budget = budget
        self.observer = observer
        self.shouldHedge = shouldHedge
    }

    /// The strategy's name and policy, such as `hedging(search: 3 attempts, hedging after 0.2 s)`.
    public var description: String {
        "hedging(\(name): \(policy))"
    }

    /// Runs `operation`, hedging it per the policy.
    ///
    /// The attempts run in the caller's isolation (or, for a caller on no actor, on a private serial
    /// actor): never two at the same time, so `operation` may capture non-`Sendable` state. Each can
    /// read which attempt it is from ``HedgingAttempt/current``.
    ///
    /// - Parameter operation: The work to run; called up to ``HedgingPolicy/maxAttempts`` times.
    /// - Returns: The value of the first attempt to succeed.
    /// - Throws: The error of a failure that does not hedge, unchanged; the error of the last attempt
    ///   to fail, unchanged, when every attempt failed; `CancellationError` when the calling task is
    ///   already cancelled.
    nonisolated(nonsending) public func execute<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        try await run({ _ in try await operation() }, classifyingResult: { _ in nil })
    }

    /// Runs `operation`, hedging it per the policy, telling each attempt which one it is (so that
    /// it can ask another replica).
    ///
    /// ```swift
    /// let page = try await hedging.executeAttempts { attempt in
    ///     try await mirrors[attempt.number - 1].fetch(path)
    /// }
    /// ```
    ///
    /// The attempts run as ``execute(_:)``'s do.
    ///
    /// - Parameter operation: The work to run, given its attempt; called up to
    ///   ``HedgingPolicy/maxAttempts`` times.
    /// - Returns: The value of the first attempt to succeed.
    /// - Throws: What ``execute(_:)`` throws.
    nonisolated(nonsending) public func executeAttempts<Result>(
        _ operation: nonisolated(nonsending) (HedgingAttempt) async throws -> Result
    ) async throws -> Result {
        try await run(operation, classifyingResult: { _ in nil })
    }

    /// Runs `operation`, hedging its failures and the values `classifyResult` classifies as failures,
    /// which then hedge like errors of that classification (an HTTP 503 response from one replica
    /// starts the next attempt at once).
    ///
    /// When a value whose classification does not hedge arrives, or every attempt ended with a
    /// failure and the last was a rejected value, that value is returned.
    ///
    /// - Parameters:
    ///   - classifyResult: A failure classification for a value that should count as a failure, or
    ///     `nil` to accept it.
    ///   - operation: The work to run.
    /// - Returns: The first accepted value, or a rejected one as described.
    /// - Throws: What ``execute(_:)`` throws.
    nonisolated(nonsending) public func execute<Result>(
        classifyingResult classifyResult: (Result) -> ErrorClassification?,
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        try await run({ _ in try await operation() }, classifyingResult: classifyResult)
    }

    /// Runs a `Sendable` operation, hedging it per the policy, with the attempts running in
    /// parallel on the global concurrent executor rather than interleaved on the caller's actor.
    ///
    /// Cheaper than ``execute(_:)`` for a caller on no actor (no private actor to create and hop
    /// to), and lets CPU-bound attempts overlap; from an actor it leaves the actor for the call. The
    /// rules are those of ``execute(_:)``.
    ///
    /// - Parameter operation: The work to run, given its attempt; called up to
    ///   ``HedgingPolicy/maxAttempts`` times, possibly at the same time on several threads.
    /// - Returns: The value of the first attempt to succeed.
    /// - Throws: What ``execute(_:)`` throws.
    nonisolated(nonsending) public func executeConcurrently<Result: Sendable>(
        _ operation: @Sendable (HedgingAttempt) async throws -> Result
    ) async throws -> Result {
        try await runConcurrently(operation)
    }
}

/// Decides whether a failed attempt starts the next one at once, from its error and classification.
public typealias HedgingPredicate = @Sendable (_ error: any Error, _ classification: ErrorClassification) -> Bool

extension Hedging where ClockType == ContinuousClock {
    /// Creates a hedging strategy on the continuous clock.
    ///
    /// - Parameters:
    ///   - policy: How many attempts, how long between them, and which failures hedge.
    ///   - name: The name reported in events.
    ///   - classifier: Maps each error to its category.
    ///   - budget: A retry budget every hedge must be allowed by.
    ///   - observer: Receives the strategy's events.
    ///   - shouldHedge: Decides whether a failure hedges, instead of the policy's categories.
    public init(
        _ policy: HedgingPolicy = .default,
        name: String = "hedging",
        classifier: ErrorClassifier = .default,
        budget: RetryBudget? = nil,
        observer: (any ResilienceObserver)? = nil,
        shouldHedge: HedgingPredicate? = nil
    ) {
        self.init(
            policy, name: name, clock: ContinuousClock(), classifier: classifier, budget: budget, observer: observer,
            shouldHedge: shouldHedge
        )
    }
}
