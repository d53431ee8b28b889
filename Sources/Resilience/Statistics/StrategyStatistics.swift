/// What one strategy reported, in one pipeline (or on its own): its calls, retries and waits, attempt
/// times, time-outs, rejections, fallbacks, hedges and circuit state.
///
/// Each strategy fills the fields of what it does: a ``Retry`` its ``calls`` (with their attempts),
/// retries, waiting and attempt times; a ``CircuitBreaker`` its rejections and ``circuitState``; a
/// ``Timeout`` its time-outs; a ``Fallback`` its fallbacks. The rest stay zero.
///
/// ```swift
/// let retry = statistics.snapshot().strategy(named: "retry", inPipeline: "ocr")
/// print(retry?.calls.averageAttempts ?? 1, retry?.retryWait ?? .zero)
/// ```
public struct StrategyStatistics: Sendable, Hashable, Codable {
    /// The pipeline the strategy ran in, or `nil` when it ran on its own.
    public var pipeline: String?
    /// The strategy's name, as in its events.
    public var name: String
    /// The calls that ended: a retry's (``ResilienceEvent/Kind/attemptSucceeded`` and
    /// ``ResilienceEvent/Kind/retriesEnded``), or a nested pipeline's.
    public var calls: CallStatistics
    /// The retries scheduled (``ResilienceEvent/Kind/retryScheduled``).
    public var retriesScheduled: Int
    /// The sum of the scheduled retries' delays: the time spent waiting between attempts, in whole
    /// nanoseconds (saturating). A wait that a cancellation cut short counts in full.
    public var retryWait: Duration
    /// The attempts whose duration was measured (a ``Retry`` with an observer times each attempt).
    public var timedAttempts: Int
    /// The sum of the measured attempts' durations, in whole nanoseconds (saturating).
    public var attemptTime: Duration
    /// The calls that timed out (``ResilienceEvent/Kind/timedOut``).
    public var timeouts: Int
    /// The calls (or retries) the strategy refused.
    public var rejections: RejectionStatistics
    /// The fallbacks run (``ResilienceEvent/Kind/fallbackUsed``), by the category of the error they replaced.
    public var fallbacksByCategory: [ErrorCategory: Int]
    /// The hedged attempts started (``ResilienceEvent/Kind/hedgeStarted``).
    public var hedges: Int
    /// The faults injected (``ResilienceEvent/Kind/faultInjected``).
    public var faultsInjected: Int
    /// A circuit breaker's state after the last change it reported (``ResilienceEvent/Kind/circuitStateChanged``),
    /// or `nil` before any. Under heavy concurrency two changes may reach an observer out of order;
    /// register the breaker with ``ResilienceStatistics/register(_:)`` for its live state.
    public var circuitState: CircuitState?
    /// The changes of state a circuit breaker reported.
    public var circuitStateChanges: Int

    /// Creates strategy statistics.
    ///
    /// - Parameters:
    ///   - pipeline: The pipeline the strategy ran in, or `nil`.
    ///   - name: The strategy's name.
    ///   - calls: The calls that ended.
    ///   - retriesScheduled: The retries scheduled.
    ///   - retryWait: The sum of the scheduled retries' delays.
    ///   - timedAttempts: The attempts whose duration was measured.
    ///   - attemptTime: The sum of the measured attempts' durations.
    ///   - timeouts: The calls that timed out.
    ///   - rejections: The calls or retries refused.
    ///   - fallbacksByCategory: The fallbacks run, by category of the error replaced.
    ///   - hedges: The hedged attempts started.
    ///   - faultsInjected: The faults injected.
    ///   - circuitState: A circuit breaker's last reported state.
    ///   - circuitStateChanges: The changes of state a circuit breaker reported.
    public init(
        pipeline: String? = nil,
        name: String,
        calls: CallStatistics = CallStatistics(),
        retriesScheduled: Int = 0,
        retryWait: Duration = .zero,
        timedAttempts: Int = 0,
        attemptTime: Duration = .zero,
        timeouts: Int = 0,
        rejections: RejectionStatistics = RejectionStatistics(),
        fallbacksByCategory: [ErrorCategory: Int] = [:],
        hedges: Int = 0,
        faultsInjected: Int = 0,
        circuitState: CircuitState? = nil,
        circuitStateChanges: Int = 0
    ) {
        self.pipeline = pipeline
        self.name = name
        self.calls = calls
        self.retriesScheduled = retriesScheduled
        self.retryWait = retryWait
        self.timedAttempts = timedAttempts
        self.attemptTime = attemptTime
        self.timeouts = timeouts
        self.rejections = rejections
        self.fallbacksByCategory = fallbacksByCategory
        self.hedges = hedges
        self.faultsInjected = faultsInjected
        self.circuitState = circuitState
        self.circuitStateChanges = circuitStateChanges
    }

    /// The fallbacks run, whatever the error.
    public var fallbacks: Int {
        fallbacksByCategory.values.saturatingSum
    }

    /// The mean duration of the measured attempts; `nil` when none was measured.
    public var meanAttemptTime: Duration? {
        timedAttempts > 0 ? attemptTime / timedAttempts : nil
    }

    /// Records how long an attempt took, when measured.
    @inline(__always)
    mutating func recordAttempt(duration: Duration?) {
        guard let duration else { return }
        timedAttempts += 1
        attemptTime = attemptTime.saturatingAdding(max(duration, .zero))
    }

    // MARK: - Coding

    enum CodingKeys: String, CodingKey {
        case pipeline, name, calls, retriesScheduled, retryWaitNanoseconds, timedAttempts, attemptTimeNanoseconds, timeouts
        case rejections, fallbacksByCategory, hedges, faultsInjected, circuitState, circuitStateChanges
    }

    /// Decodes strategy statistics; `name` is required, a missing count is zero.
    ///
    /// - Throws: `DecodingError` for a missing name, a negative count or duration, or an unknown name
    ///   of a category, state or reason.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            pipeline: try container.decodeIfPresent(String.self, forKey: .pipeline),
            name: try container.decode(String.self, forKey: .name),
            calls: try container.decodeIfPresent(CallStatistics.self, forKey: .calls) ?? CallStatistics(),
            retriesScheduled: try container.decodeCount(forKey: .retriesScheduled),
            retryWait: try container.decodeNanoseconds(forKey: .retryWaitNanoseconds),
            timedAttempts: try container.decodeCount(forKey: .timedAttempts),
            attemptTime: try container.decodeNanoseconds(forKey: .attemptTimeNanoseconds),
            timeouts: try container.decodeCount(forKey: .timeouts),
            rejections: try container.decodeIfPresent(RejectionStatistics.self, forKey: .rejections) ?? RejectionStatistics(),
            fallbacksByCategory: try container.decodeCounts(ErrorCategory.self, forKey: .fallbacksByCategory),
            hedges: try container.decodeCount(forKey: .hedges),
            faultsInjected: try container.decodeCount(forKey: .faultsInjected),
            circuitState: try container.decodeIfPresent(CircuitState.self, forKey: .circuitState),
            circuitStateChanges: try container.decodeCount(forKey: .circuitStateChanges)
        )
    }

    /// Encodes the statistics: counts by name, durations in whole nanoseconds; no `pipeline` or
    /// `circuitState` field when they are `nil`.
    ///
    /// - Throws: What the encoder throws.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(pipeline, forKey: .pipeline)
        try container.encode(name, forKey: .name)
        try container.encode(calls, forKey: .calls)
        try container.encode(retriesScheduled, forKey: .retriesScheduled)
        try container.encodeNanoseconds(retryWait, forKey: .retryWaitNanoseconds)
        try container.encode(timedAttempts, forKey: .timedAttempts)
        try container.encodeNanoseconds(attemptTime, forKey: .attemptTimeNanoseconds)
        try container.encode(timeouts, forKey: .timeouts)
        try container.encode(rejections, forKey: .rejections)
        try container.encodeCounts(fallbacksByCategory, forKey: .fallbacksByCategory)
        try container.encode(hedges, forKey: .hedges)
        try container.encode(faultsInjected, forKey: .faultsInjected)
        try container.encodeIfPresent(circuitState, forKey: .circuitState)
        try container.encode(circuitStateChanges, forKey: .circuitStateChanges)
    }
}
