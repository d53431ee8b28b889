/// A retry strategy: runs an operation, and on a retryable failure waits per its ``RetryPolicy`` and
/// calls again.
///
/// A `Retry` is a `Sendable` value: build it once (policy, clock, classifier, observer) and use it from
/// any number of tasks. For one-off calls, the
/// ``retry(_:name:clock:classifier:random:budget:observer:retryIf:delay:operation:)`` function takes
/// the same options.
///
/// ```swift
/// let ocrRetry = Retry(.aggressive, name: "ocr", observer: LoggingObserver())
/// let text = try await ocrRetry.execute { try await ocr.extract(receiptID) }
/// ```
///
/// A caller already cancelled gets `CancellationError` and the operation never runs. After a failed
/// attempt, the loop stops, in this order of checks, when:
/// - the failure is a cancellation, or the calling task is cancelled (never retried);
/// - the failure is not retryable: its category is not in the policy's
///   ``RetryPolicy/retryableCategories`` (or ``retryIf`` says no);
/// - the policy's ``RetryPolicy/maxAttempts`` are used up;
/// - a server's `Retry-After` hint is longer than the schedule's ``Backoff/maxDelay``;
/// - the next wait would end past the policy's ``RetryPolicy/maxElapsedTime``;
/// - the ``RetryBudget`` shared with other calls refuses the retry.
///
/// Then it **rethrows the last attempt's error unchanged**, so `catch let error as URLError` still
/// works. A cancellation during a wait ends the loop at once with `CancellationError`, without another
/// attempt. A zero delay never sleeps, but still honours cancellation.
///
/// **Delays** come from the policy's schedule and jitter, unless ``delay`` computes one (tenacity's
/// wait callables, Polly's `DelayGenerator`); either way a server's hint is never undercut and the
/// schedule's cap holds.
///
/// The operation runs in the caller's isolation (`nonisolated(nonsending)`): it may touch the caller's
/// actor state and need not be `Sendable`. Every wait is on the injected `Clock`, so tests can use a
/// manual clock and run on virtual time.
public struct Retry<ClockType: Clock>: ResilienceStrategy, ObservedStrategy, ResultClassifyingStrategy
where ClockType.Duration == Duration {
    /// What to retry, how often and how long to wait.
    public var policy: RetryPolicy
    /// The strategy's name, reported in its events (for example `"ocr-retry"`).
    public var name: String
    /// The clock that measures the elapsed budget and performs the waits.
    public var clock: ClockType
    /// Maps each error to its category.
    public var classifier: ErrorClassifier
    /// Where jitter draws its random numbers.
    public var random: RandomSource
    /// Receives every attempt outcome, scheduled retry and end of retrying; `nil` for none. With an
    /// observer, each attempt is timed on ``clock`` (the events' ``ResilienceEvent/duration``); without
    /// one, the clock is not read for it.
    public var observer: (any ResilienceObserver)?
    /// The retry budget shared with other calls, which may refuse a retry; `nil` for none.
    public var budget: RetryBudget?
    /// Decides whether an error is retried, instead of the policy's ``RetryPolicy/retryableCategories``
    /// (tenacity's `retry_if_exception`); `nil` to use the categories. Cancellation is never retried,
    /// whatever it says; the other rules (attempts, hints, time budget, retry budget) still apply.
    public var retryIf: RetryPredicate?
    /// Computes the delay before each retry instead of the policy's schedule and jitter, or returns
    /// `nil` to keep the schedule's; `nil` for the schedule always.
    public var delay: RetryDelayGenerator?
    /// Whether ``execute(_:)`` checks for cancellation before the first attempt: `false` only inside a
    /// pipeline, behind a strategy that has just checked (see ``EntryCancellationChecking``).
    @usableFromInline
    var checksCancellation = true

    /// Creates a retry strategy.
    ///
    /// - Parameters:
    ///   - policy: What to retry, how often and how long to wait.
    ///   - name: The name reported in events.
    ///   - clock: The clock that measures and waits.
    ///   - classifier: Maps each error to its category.
    ///   - random: Where jitter draws its random numbers.
    ///   - budget: A retry budget shared with other calls, which may refuse retries.
    ///   - observer: Receives the strategy's events.
    ///   - retryIf: Decides whether an error is retried, instead of the policy's categories.
    ///   - delay: Computes the delay before each retry, or `nil` to keep the schedule's.
    public init(
        _ policy: RetryPolicy = .default,
        name: String = "retry",
        clock: ClockType,
        classifier: ErrorClassifier = .default,
        random: RandomSource = .system,
        budget: RetryBudget? = nil,
        observer: (any ResilienceObserver)? = nil,
        retryIf: RetryPredicate? = nil,
        delay: RetryDelayGenerator? = nil
    ) {
        self.policy = policy
        self.name = name
        self.clock = clock
        self.classifier = classifier
        self.random = random
        self.budget = budget
        self.observer = observer
        self.retryIf = retryIf
        self.delay = delay
    }

    /// The strategy's name and policy, such as `retry(ocr: 5 attempts, exponential(0.5 s × 2.0, max 60.0 s), jitter full)`,
    /// or `retry(5 attempts, …)` when it has the default name.
    public var description: String {
        let summary = "\(policy.maxAttempts) attempts, \(policy.backoff), jitter \(policy.jitter)"
        return name == "retry" ? "retry(\(summary))" : "retry(\(name): \(summary))"
    }

    /// Runs `operation`, retrying its failures per the policy.
    ///
    /// - Parameter operation: The work to run; called at most ``RetryPolicy/maxAttempts`` times.
    /// - Returns: The first successful attempt's value.
    /// - Throws: The last attempt's error, unchanged, when retrying ends; `CancellationError` when the
    ///   task is cancelled before the first attempt or during a wait.
    @inlinable @inline(__always)
    nonisolated(nonsending) public func execute<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        // Always inlined, as are the other entry points and `run`: they are thin, and inside a
        // pipeline's nested generic strategies the optimiser otherwise leaves them as calls that hide
        // the operation (a retry + breaker pipeline: 195 ns per call as calls, 132 ns inlined, as by hand).
        try await run(operation, ignoringCategories: false) { _ in nil }
    }

    /// Runs `operation`, retrying both its failures and the results `shouldRetry` rejects (tenacity's
    /// `retry_if_result`), such as HTTP responses with status 429, 500, 502, 503 or 504.
    ///
    /// A rejected result is retried whatever the policy's ``RetryPolicy/retryableCategories``, with the
    /// policy's ``RetryPolicy/backoff``. When retrying ends on a rejected result, that result is returned.
    ///
    /// - Parameters:
    ///   - shouldRetry: Whether a returned value calls for another attempt.
    ///   - operation: The work to run.
    /// - Returns: The first accepted value, or the last value when retrying ends on a rejected one.
    /// - Throws: The last attempt's error, unchanged, when retrying ends on an error.
    @inlinable @inline(__always)
    nonisolated(nonsending) public func execute<Result>(
        retryingWhen shouldRetry: (Result) -> Bool,
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        try await run(operation, ignoringCategories: true) { shouldRetry($0) ? .transient : nil }
    }

    /// Runs `operation`, retrying its failures and the results `classifyResult` classifies as failures,
    /// which then follow the policy like errors: retryable categories, per-category schedules and
    /// `Retry-After` hints (a 429 response whose header says 20 s).
    ///
    /// - Parameters:
    ///   - classifyResult: A failure classification for a value that should count as a failure, or
    ///     `nil` to accept it.
    ///   - operation: The work to run.
    /// - Returns: The first accepted value, or the last value when retrying ends on a rejected one.
    /// - Throws: The last attempt's error, unchanged, when retrying ends on an error.
    @inlinable @inline(__always)
    nonisolated(nonsending) public func execute<Result>(
        classifyingResult classifyResult: (Result) -> ErrorClassification?,
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        try await run(operation, ignoringCategories: false, classifyResult: classifyResult)
    }

    @inlinable @inline(__always)
    nonisolated(nonsending) func run<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result,
        ignoringCategories: Bool,
        classifyResult: (Result) -> ErrorClassification?
    ) async throws -> Result {
        try await Self.run(
            operation, policy: policy, name: name, clock: clock, classifier: classifier, random: random,
            budget: budget, observer: observer, retryIf: retryIf, delay: delay,
            ignoringCategories: ignoringCategories, classifyResult: classifyResult, checkingCancellation: checksCancellation
        )
    }

    /// The loop. Inlinable so that it is specialised for the caller's result and clock types; the
    /// failure path calls out to non-generic helpers. Static, with every dependency a borrowed
    /// parameter, so that the `retry(...)` functions do not copy (and retain) a policy and a classifier
    /// into a `Retry` value on every call.
    @inlinable
    nonisolated(nonsending) static func run<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result,
        policy: RetryPolicy,
        name: String,
        clock: ClockType,
        classifier: ErrorClassifier,
        random: RandomSource,
        budget: RetryBudget?,
        observer: (any ResilienceObserver)?,
        retryIf: RetryPredicate?,
        delay generator: RetryDelayGenerator?,
        ignoringCategories: Bool,
        classifyResult: (Result) -> ErrorClassification?,
        checkingCancellation: Bool = true
    ) async throws -> Result {
        if checkingCancellation { try Task.checkCancellation() }
        guard policy.maxElapsedTime == nil else {
            return try await runWithinTimeBudget(
                operation, policy: policy, name: name, clock: clock, classifier: classifier, random: random,
                budget: budget, observer: observer, retryIf: retryIf, delay: generator,
                ignoringCategories: ignoringCategories, classifyResult: classifyResult
            )
        }
        return try await loop(
            operation, policy: policy, name: name, clock: clock, classifier: classifier, random: random,
            budget: budget, observer: observer, retryIf: retryIf, delay: generator,
            ignoringCategories: ignoringCategories, classifyResult: classifyResult, elapsed: { nil }
        )
    }

    /// ``run(_:policy:name:clock:classifier:random:budget:observer:retryIf:delay:ignoringCategories:classifyResult:checkingCancellation:)``
    /// for a policy with a time budget, which keeps the start instant.
    ///
    /// Not inlined: an instant (of a resilient type, as `ContinuousClock.Instant` is) kept in the
    /// asynchronous loop is allocated on the task on every call, budget or not (four task
    /// allocations, about 450 instructions, for a reused `Retry` called from a function of its own).
    @inlinable @inline(never)
    nonisolated(nonsending) static func runWithinTimeBudget<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result,
        policy: RetryPolicy,
        name: String,
        clock: ClockType,
        classifier: ErrorClassifier,
        random: RandomSource,
        budget: RetryBudget?,
        observer: (any ResilienceObserver)?,
        retryIf: RetryPredicate?,
        delay generator: RetryDelayGenerator?,
        ignoringCategories: Bool,
        classifyResult: (Result) -> ErrorClassification?
    ) async throws -> Result {
        let start = clock.now
        return try await loop(
            operation, policy: policy, name: name, clock: clock, classifier: classifier, random: random,
            budget: budget, observer: observer, retryIf: retryIf, delay: generator,
            ignoringCategories: ignoringCategories, classifyResult: classifyResult,
            elapsed: { start.duration(to: clock.now) }
        )
    }

    /// The attempts, with the time since the first one started when the policy has a time budget.
    @inlinable @inline(__always)
    nonisolated(nonsending) static func loop<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result,
        policy: RetryPolicy,
        name: String,
        clock: ClockType,
        classifier: ErrorClassifier,
        random: RandomSource,
        budget: RetryBudget?,
        observer: (any ResilienceObserver)?,
        retryIf: RetryPredicate?,
        delay generator: RetryDelayGenerator?,
        ignoringCategories: Bool,
        classifyResult: (Result) -> ErrorClassification?,
        elapsed: () -> Duration?
    ) async throws -> Result {
        budget?.recordRequest()
        var machine = RetryStateMachine()
        var attempt = 1
        while true {
            let delay: Duration
            let lastError: (any Error)?
            var attemptDuration: Duration?
            do {
                let value: Result
                if observer == nil {
                    value = try await operation()
                } else {
                    // Timed only for an observer, so that a retry without one never reads its clock for
                    // it. The instant (of a resilient type, as `ContinuousClock.Instant` is) lives in this
                    // branch only: kept in the loop, it would be allocated on the task on every call.
                    let attemptStart = clock.now
                    do {
                        value = try await operation()
                    } catch {
                        attemptDuration = attemptStart.duration(to: clock.now)
                        throw error
                    }
                    attemptDuration = attemptStart.duration(to: clock.now)
                }
                guard let rejection = classifyResult(value) else {
                    budget?.recordSuccess()
                    // Tested first: `observer?.observe` alone copies the existential, even when it is nil.
                    if observer != nil {
                        observer?.observe(.attemptSucceeded(strategy: name, attempt: attempt, duration: attemptDuration))
                    }
                    return value
                }
                let decision = machine.decideAfterFailure(
                    rejection, error: nil, attempt: attempt, elapsed: elapsed(),
                    ignoringCategories: ignoringCategories, retryIf: nil, delay: generator, policy: policy,
                    name: name, random: random, budget: budget, observer: observer, attemptDuration: attemptDuration
                )
                guard case .retry(let wait) = decision else { return value }
                delay = wait
                lastError = nil
            } catch {
                let decision = machine.decideAfterFailure(
                    classifier.classify(error), error: error, attempt: attempt,
                    elapsed: elapsed(), ignoringCategories: false, retryIf: retryIf,
                    delay: generator, policy: policy, name: name, random: random, budget: budget, observer: observer,
                    attemptDuration: attemptDuration
                )
                guard case .retry(let wait) = decision else { throw error }
                delay = wait
                lastError = error
            }
            if delay.attoseconds > 0 {
                try await wait(delay, afterAttempt: attempt, lastError: lastError, name: name, clock: clock, observer: observer)
            } else if observer != nil || retryIf != nil || generator != nil {
                // A zero delay does not sleep (nor call out to an async function), but still honours
                // cancellation. The decision has just checked it; only code of the caller's that ran
                // since (an observer, a predicate, a delay generator) can have cancelled the task.
                try RetryStateMachine.checkCancellation(afterAttempt: attempt, lastError: lastError, name: name, observer: observer)
            }
            attempt += 1
        }
    }

    /// Waits `delay` on the clock before the next attempt; a cancellation ends the retries.
    @usableFromInline
    nonisolated(nonsending) static func wait(
        _ delay: Duration,
        afterAttempt attempt: Int,
        lastError: (any Error)?,
        name: String,
        clock: ClockType,
        observer: (any ResilienceObserver)?
    ) async throws {
        do {
            try await clock.sleep(until: clock.now.advanced(by: delay), tolerance: nil)
        } catch {
            RetryStateMachine.reportCancellation(afterAttempt: attempt, lastError: lastError, name: name, observer: observer)
            throw error
        }
        // A clock whose sleep returns despite a cancellation still ends the retries: the strategies
        // inside the retry rely on this check (see `EntryCancellationChecking`).
        try RetryStateMachine.checkCancellation(afterAttempt: attempt, lastError: lastError, name: name, observer: observer)
    }
}

/// Decides whether an error is retried, instead of a policy's retryable categories.
public typealias RetryPredicate = @Sendable (any Error) -> Bool

/// Computes the delay before a retry from what happened, or returns `nil` to keep the policy's
/// schedule (with its jitter) for this retry.
///
/// ```swift
/// let retry = Retry(.default, delay: { context in
///     (context.error as? QuotaError).map { .seconds($0.resetsInSeconds) }   // else the schedule's delay
/// })
/// ```
public typealias RetryDelayGenerator = @Sendable (RetryDelayContext) -> Duration?

/// What a ``RetryDelayGenerator`` is told about the retry it computes a delay for.
public struct RetryDelayContext: Sendable {
    /// The number of the attempt that failed, from 1.
    public var attempt: Int
    /// The attempt's error, or `nil` when its result was rejected.
    public var error: (any Error)?
    /// The failure's classification.
    public var classification: ErrorClassification
    /// The delay the policy's schedule and jitter give for this retry.
    public var scheduledDelay: Duration
    /// The delay used before the previous retry, or `nil` before the first.
    public var previousDelay: Duration?

    /// Creates a context.
    ///
    /// - Parameters:
    ///   - attempt: The number of the attempt that failed.
    ///   - error: The attempt's error, or `nil` for a rejected result.
    ///   - classification: The failure's classification.
    ///   - scheduledDelay: The schedule's delay for this retry.
    ///   - previousDelay: The previous retry's delay.
    public init(
        attempt: Int,
        error: (any Error)?,
        classification: ErrorClassification,
        scheduledDelay: Duration,
        previousDelay: Duration?
    ) {
        self.attempt = attempt
        self.error = error
        self.classification = classification
        self.scheduledDelay = scheduledDelay
        self.previousDelay = previousDelay
    }
}

extension Retry where ClockType == ContinuousClock {
    /// Creates a retry strategy on the continuous clock.
    ///
    /// - Parameters:
    ///   - policy: What to retry, how often and how long to wait.
    ///   - name: The name reported in events.
    ///   - classifier: Maps each error to its category.
    ///   - random: Where jitter draws its random numbers.
    ///   - budget: A retry budget shared with other calls, which may refuse retries.
    ///   - observer: Receives the strategy's events.
    ///   - retryIf: Decides whether an error is retried, instead of the policy's categories.
    ///   - delay: Computes the delay before each retry, or `nil` to keep the schedule's.
    public init(
        _ policy: RetryPolicy = .default,
        name: String = "retry",
        classifier: ErrorClassifier = .default,
        random: RandomSource = .system,
        budget: RetryBudget? = nil,
        observer: (any ResilienceObserver)? = nil,
        retryIf: RetryPredicate? = nil,
        delay: RetryDelayGenerator? = nil
    ) {
        self.init(
            policy, name: name, clock: ContinuousClock(), classifier: classifier, random: random, budget: budget,
            observer: observer, retryIf: retryIf, delay: delay
        )
    }
}

// MARK: - Free functions

/// Runs `operation`, retrying its failures per `policy`.
///
/// ```swift
/// let data = try await retry(.default) { try await client.fetch(url) }
/// ```
///
/// The same loop, with the same options, as `Retry(policy, name: name, clock: clock, …).execute(operation)`;
/// see ``Retry`` for the rules.
///
/// - Parameters:
///   - policy: What to retry, how often and how long to wait.
///   - name: The name reported in events.
///   - clock: The clock that measures and waits; the continuous clock by default.
///   - classifier: Maps each error to its category.
///   - random: Where jitter draws its random numbers.
///   - budget: A retry budget shared with other calls, which may refuse retries.
///   - observer: Receives every attempt outcome and scheduled retry.
///   - retryIf: Decides whether an error is retried, instead of the policy's categories.
///   - delay: Computes the delay before each retry, or `nil` to keep the schedule's.
///   - operation: The work to run, in the caller's isolation.
/// - Returns: The first successful attempt's value.
/// - Throws: The last attempt's error, unchanged, when retrying ends; `CancellationError` when the task
///   is cancelled before the first attempt or during a wait.
@inlinable
nonisolated(nonsending) public func retry<Result, ClockType: Clock>(
    _ policy: RetryPolicy = .default,
    name: String = "retry",
    clock: ClockType = ContinuousClock(),
    classifier: ErrorClassifier = .default,
    random: RandomSource = .system,
    budget: RetryBudget? = nil,
    observer: (any ResilienceObserver)? = nil,
    retryIf: RetryPredicate? = nil,
    delay: RetryDelayGenerator? = nil,
    operation: nonisolated(nonsending) () async throws -> Result
) async throws -> Result where ClockType.Duration == Duration {
    try await Retry.run(
        operation, policy: policy, name: name, clock: clock, classifier: classifier, random: random,
        budget: budget, observer: observer, retryIf: retryIf, delay: delay, ignoringCategories: false,
        classifyResult: { _ in nil }
    )
}

/// Runs `operation`, retrying its failures per `policy` and the results `shouldRetry` rejects
/// (tenacity's `retry_if_result`).
///
/// ```swift
/// let response = try await retry(.rateLimit, retryingWhen: { [429, 500, 502, 503, 504].contains($0.status) }) {
///     try await http.get(url)
/// }
/// ```
///
/// - Parameters:
///   - policy: What to retry, how often and how long to wait.
///   - name: The name reported in events.
///   - clock: The clock that measures and waits; the continuous clock by default.
///   - classifier: Maps each error to its category.
///   - random: Where jitter draws its random numbers.
///   - budget: A retry budget shared with other calls, which may refuse retries.
///   - observer: Receives every attempt outcome and scheduled retry.
///   - retryIf: Decides whether an error is retried, instead of the policy's categories.
///   - delay: Computes the delay before each retry, or `nil` to keep the schedule's.
///   - shouldRetry: Whether a returned value calls for another attempt.
///   - operation: The work to run, in the caller's isolation.
/// - Returns: The first accepted value, or the last value when retrying ends on a rejected one.
/// - Throws: The last attempt's error, unchanged, when retrying ends on an error.
@inlinable
nonisolated(nonsending) public func retry<Result, ClockType: Clock>(
    _ policy: RetryPolicy = .default,
    name: String = "retry",
    clock: ClockType = ContinuousClock(),
    classifier: ErrorClassifier = .default,
    random: RandomSource = .system,
    budget: RetryBudget? = nil,
    observer: (any ResilienceObserver)? = nil,
    retryIf: RetryPredicate? = nil,
    delay: RetryDelayGenerator? = nil,
    retryingWhen shouldRetry: (Result) -> Bool,
    operation: nonisolated(nonsending) () async throws -> Result
) async throws -> Result where ClockType.Duration == Duration {
    try await Retry.run(
        operation, policy: policy, name: name, clock: clock, classifier: classifier, random: random,
        budget: budget, observer: observer, retryIf: retryIf, delay: delay, ignoringCategories: true,
        classifyResult: { shouldRetry($0) ? .transient : nil }
    )
}

/// Runs `operation`, retrying its failures per `policy` and the results `classifyResult` classifies
/// as failures, which then follow the policy like errors: retryable categories, per-category
/// schedules and `Retry-After` hints.
///
/// ```swift
/// let response = try await retry(.rateLimit, classifyingResult: { response in
///     response.status == 429 ? .rateLimited(retryAfter: response.retryAfter) : nil
/// }) {
///     try await http.get(url)
/// }
/// ```
///
/// - Parameters:
///   - policy: What to retry, how often and how long to wait.
///   - name: The name reported in events.
///   - clock: The clock that measures and waits; the continuous clock by default.
///   - classifier: Maps each error to its category.
///   - random: Where jitter draws its random numbers.
///   - budget: A retry budget shared with other calls, which may refuse retries.
///   - observer: Receives every attempt outcome and scheduled retry.
///   - retryIf: Decides whether an error is retried, instead of the policy's categories.
///   - delay: Computes the delay before each retry, or `nil` to keep the schedule's.
///   - classifyResult: A failure classification for a value that should count as a failure, or `nil`
///     to accept it.
///   - operation: The work to run, in the caller's isolation.
/// - Returns: The first accepted value, or the last value when retrying ends on a rejected one.
/// - Throws: The last attempt's error, unchanged, when retrying ends on an error.
@inlinable
nonisolated(nonsending) public func retry<Result, ClockType: Clock>(
    _ policy: RetryPolicy = .default,
    name: String = "retry",
    clock: ClockType = ContinuousClock(),
    classifier: ErrorClassifier = .default,
    random: RandomSource = .system,
    budget: RetryBudget? = nil,
    observer: (any ResilienceObserver)? = nil,
    retryIf: RetryPredicate? = nil,
    delay: RetryDelayGenerator? = nil,
    classifyingResult classifyResult: (Result) -> ErrorClassification?,
    operation: nonisolated(nonsending) () async throws -> Result
) async throws -> Result where ClockType.Duration == Duration {
    try await Retry.run(
        operation, policy: policy, name: name, clock: clock, classifier: classifier, random: random,
        budget: budget, observer: observer, retryIf: retryIf, delay: delay, ignoringCategories: false,
        classifyResult: classifyResult
    )
}
