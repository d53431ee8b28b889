/// Client-side adaptive throttling (Google SRE book, "Handling Overload"): when a backend refuses a
/// growing share of calls because it is overloaded, the client rejects some calls itself, before they
/// cost the backend anything.
///
/// Over a sliding window, the throttle counts `requests` (every call the application attempted,
/// including those it rejected locally) and `accepts` (calls the backend accepted: successes, and
/// failures that do not signal overload). Each new call is rejected locally with probability
///
///     max(0, (requests − K × accepts) / (requests + 1))
///
/// drawn from the injected ``RandomSource``; a rejected call throws ``LimitExceededError`` with reason
/// ``LimitExceededError/Reason/throttled`` without running the operation. While the backend accepts
/// everything, the probability is zero and no number is drawn. When it accepts only `C` calls a second
/// of the `λ` offered, the calls that reach it settle at about `K × C` (with `K` = 2, twice what it
/// accepts): the excess costs the backend only a cheap refusal, and keeps the throttle measuring so
/// that it lets traffic back in as soon as the backend recovers.
///
/// ```swift
/// let throttle = AdaptiveThrottle(name: "search-throttle")      // one per backend, shared by all callers
/// let results = try await throttle.execute { try await search.query(q) }
/// ```
///
/// What signals overload: failures whose category is in
/// ``AdaptiveThrottleConfiguration/overloadCategories`` (by default ``ErrorCategory/rateLimited`` and
/// ``ErrorCategory/transient``, where HTTP 429 and 503 land), or what ``countsAsOverload`` says;
/// results classified as failures by ``execute(classifyingResult:_:)`` or
/// ``ResultClassifyingStrategy/classifyingResults(_:)`` count the same way. A cancelled call, or
/// any failure of a cancelled task, counts neither way.
///
/// The throttle is a `Sendable` class whose logic is a value-type state machine behind a `Mutex`: a
/// call takes the lock twice for a few nanoseconds (once to be admitted, once to count its outcome),
/// with no actor hop and no allocation. Put it inside a ``Retry`` (so that each attempt is a request,
/// and a local rejection, a ``ErrorCategory/rejected`` failure, ends the retrying) and outside a
/// per-attempt ``Timeout``. Time comes from the injected clock.
public final class AdaptiveThrottle<ClockType: Clock>: Sendable where ClockType.Duration == Duration {
    /// Decides whether a failure signals overload, instead of the configuration's
    /// ``AdaptiveThrottleConfiguration/overloadCategories``.
    public typealias OverloadPredicate = @Sendable (_ error: any Error, _ classification: ErrorClassification) -> Bool

    /// The throttle's name, carried by its events and errors.
    public let name: String
    /// `K`, the window, and what signals overload.
    public let configuration: AdaptiveThrottleConfiguration
    /// The clock the window moves on.
    public let clock: ClockType
    /// Maps each error to its category.
    public let classifier: ErrorClassifier
    /// Where rejection draws come from.
    public let random: RandomSource
    /// Overrides the configuration's overload categories when set.
    public let countsAsOverload: OverloadPredicate?
    /// Receives a ``ResilienceEvent/Kind/limitExceeded`` event for every local rejection, or `nil`.
    public let observer: (any ResilienceObserver)?

    /// The counts, shared with the views of this throttle that pipelines make.
    @usableFromInline
    let storage: AdaptiveThrottleStorage
    /// When the throttle was created: every time in its window is measured from it.
    @usableFromInline
    let origin: ClockType.Instant

    /// Creates a throttle with empty counts.
    ///
    /// - Parameters:
    ///   - name: The name carried by events and errors.
    ///   - configuration: `K`, the window, and what signals overload.
    ///   - clock: The clock the window moves on.
    ///   - classifier: Maps each error to its category.
    ///   - random: Where rejection draws come from (seeded in tests).
    ///   - countsAsOverload: Decides whether a failure signals overload, instead of the
    ///     configuration's categories; `nil` to use the categories. Cancellation never counts.
    ///   - observer: Receives the throttle's events.
    public init(
        name: String = "adaptive-throttle",
        configuration: AdaptiveThrottleConfiguration = .default,
        clock: ClockType,
        classifier: ErrorClassifier = .default,
        random: RandomSource = .system,
        countsAsOverload: OverloadPredicate? = nil,
        observer: (any ResilienceObserver)? = nil
    ) {
        self.name = name
        self.configuration = configuration
        self.clock = clock
        self.classifier = classifier
        self.random = random
        self.countsAsOverload = countsAsOverload
        self.observer = observer
        self.storage = AdaptiveThrottleStorage(AdaptiveThrottleWindow(configuration))
        self.origin = clock.now
    }

    /// A view of `throttle` sharing its counts, reporting to `observer`.
    private init(sharing throttle: AdaptiveThrottle, observer: (any ResilienceObserver)?) {
        name = throttle.name
        configuration = throttle.configuration
        clock = throttle.clock
        classifier = throttle.classifier
        random = throttle.random
        countsAsOverload = throttle.countsAsOverload
        self.observer = observer
        storage = throttle.storage
        origin = throttle.origin
    }

    // MARK: - Calls

    /// Runs `operation` unless the throttle rejects it, and counts its outcome.
    ///
    /// - Parameter operation: The call to the backend, run in the caller's isolation.
    /// - Returns: The operation's value.
    /// - Throws: ``LimitExceededError`` (reason ``LimitExceededError/Reason/throttled``) when the
    ///   throttle rejects the call, which then does not run; `CancellationError` when the calling task
    ///   is already cancelled (nor does it run then); otherwise the operation's error, unchanged.
    @inlinable @inline(__always)
    nonisolated(nonsending) public func execute<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        // Always inlined, like the circuit breaker's: specialised for the caller's operation.
        try await execute(classifyingResult: { _ in nil }, operation)
    }

    /// Runs `operation` unless the throttle rejects it, and counts its outcome, treating the values
    /// `classifyResult` classifies as failures of that classification (an HTTP 503 response returned
    /// rather than thrown counts as overload). The value is returned either way.
    ///
    /// - Parameters:
    ///   - classifyResult: A classification for a value that should count like an error of it, or
    ///     `nil` for a success.
    ///   - operation: The call to the backend, run in the caller's isolation.
    /// - Returns: The operation's value.
    /// - Throws: What ``execute(_:)`` throws.
    @inlinable @inline(__always)
    nonisolated(nonsending) public func execute<Result>(
        classifyingResult classifyResult: (Result) -> ErrorClassification?,
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        try Task.checkCancellation()
        try admit(at: elapsed())
        let value: Result
        do {
            value = try await operation()
        } catch {
            record(failure: error, classification: nil)
            throw error
        }
        if let classification = classifyResult(value) {
            record(failure: nil, classification: classification)
        } else {
            record(accepted: true, at: elapsed())
        }
        return value
    }

    /// Decides whether the next call goes ahead; a rejection counts as a request, is reported and
    /// thrown.
    @usableFromInline
    func admit(at now: Duration) throws(LimitExceededError) {
        let probability = storage.window.withLock { $0.rejectionProbability(at: now) }
        guard probability > 0 else { return }
        var generator = random.makeGenerator()
        guard generator.nextUnitFraction() < probability else { return }
        storage.window.withLock { $0.recordRejection(at: now) }
        observer?.observe(.limitExceeded(strategy: name, reason: .throttled, retryAfter: nil))
        throw LimitExceededError(limiterName: name, reason: .throttled)
    }

    /// Counts a call that threw `error` (or returned a value classified as `classification`).
    @usableFromInline
    func record(failure error: (any Error)?, classification: ErrorClassification?) {
        // A cancelled call tells nothing about the backend.
        guard !Task.isCancelled else { return }
        let classification = classification ?? error.map(classifier.classify) ?? .permanent
        guard classification.category != .cancellation else { return }
        let overloaded: Bool
        if let countsAsOverload, let error {
            overloaded = countsAsOverload(error, classification)
        } else {
            overloaded = configuration.overloadCategories.contains(classification.category)
        }
        record(accepted: !overloaded, at: elapsed())
    }

    /// Counts a call the backend answered.
    @usableFromInline
    func record(accepted: Bool, at now: Duration) {
        storage.window.withLock { $0.recordResponse(accepted: accepted, at: now) }
    }

    /// The time since ``origin`` on the throttle's clock; inlinable, so that it is specialised for the
    /// clock.
    @inlinable
    func elapsed() -> Duration {
        origin.duration(to: clock.now)
    }

    // MARK: - Reading and resetting

    /// The counts in the window now, and the probability they give.
    public func snapshot() -> AdaptiveThrottleSnapshot {
        let now = elapsed()
        return storage.window.withLock { window in
            window.advance(to: now)
            return AdaptiveThrottleSnapshot(
                requests: window.requestsInWindow,
                accepts: window.acceptsInWindow,
                rejectionProbability: window.probability
            )
        }
    }

    /// Forgets every count: the next calls all go ahead.
    public func reset() {
        storage.window.withLock { $0.reset() }
    }
}

extension AdaptiveThrottle where ClockType == ContinuousClock {
    /// Creates a throttle on the continuous clock.
    ///
    /// - Parameters:
    ///   - name: The name carried by events and errors.
    ///   - configuration: `K`, the window, and what signals overload.
    ///   - classifier: Maps each error to its category.
    ///   - random: Where rejection draws come from.
    ///   - countsAsOverload: Decides whether a failure signals overload, instead of the categories.
    ///   - observer: Receives the throttle's events.
    public convenience init(
        name: String = "adaptive-throttle",
        configuration: AdaptiveThrottleConfiguration = .default,
        classifier: ErrorClassifier = .default,
        random: RandomSource = .system,
        countsAsOverload: OverloadPredicate? = nil,
        observer: (any ResilienceObserver)? = nil
    ) {
        self.init(
            name: name, configuration: configuration, clock: ContinuousClock(), classifier: classifier, random: random,
            countsAsOverload: countsAsOverload, observer: observer
        )
    }
}

extension AdaptiveThrottle: ResilienceStrategy, ResultClassifyingStrategy {
    /// The throttle's name and parameters, such as `adaptive-throttle(search: K 2.0 over 30.0 s)`.
    public var description: String {
        "adaptive-throttle(\(name): \(configuration))"
    }

    /// A view of this throttle for a pipeline: it shares this throttle's counts, and reports its
    /// events to this throttle's observer and the pipeline's, stamped with the pipeline's name.
    ///
    /// - Parameter context: The pipeline's name and observer.
    /// - Returns: The view.
    public func joining(_ context: PipelineContext) -> AdaptiveThrottle {
        AdaptiveThrottle(sharing: self, observer: context.observer(combinedWith: observer))
    }
}

/// An adaptive throttle's counts at one moment.
public struct AdaptiveThrottleSnapshot: Hashable, Sendable, CustomStringConvertible {
    /// The calls attempted in the window, including those rejected locally.
    public var requests: Int
    /// The calls the backend accepted in the window.
    public var accepts: Int
    /// The probability with which the next call is rejected.
    public var rejectionProbability: Double

    /// Creates a snapshot.
    ///
    /// - Parameters:
    ///   - requests: The calls attempted in the window.
    ///   - accepts: The calls the backend accepted in the window.
    ///   - rejectionProbability: The probability of rejecting the next call.
    public init(requests: Int, accepts: Int, rejectionProbability: Double) {
        self.requests = requests
        self.accepts = accepts
        self.rejectionProbability = rejectionProbability
    }

    /// The counts, such as `80 requests, 30 accepts, rejecting 24.7 %`.
    public var description: String {
        let percent = (rejectionProbability * 1_000).rounded() / 10
        return "\(requests) requests, \(accepts) accepts, rejecting \(percent) %"
    }
}

/// The lock and counts of an adaptive throttle, shared by the throttle and its pipeline views.
@usableFromInline
final class AdaptiveThrottleStorage: Sendable {
    let window: AnnotatedMutex<AdaptiveThrottleWindow>

    init(_ window: AdaptiveThrottleWindow) {
        self.window = AnnotatedMutex(window)
    }
}
