import Logging

/// Logs what strategies do through swift-log: a warning before each retry's wait (as tenacity's
/// `before_sleep_log(logger, logging.WARNING)`), a message when retrying ends without success,
/// circuit breakers' changes of state, time-outs, budget refusals and, optionally, rejections,
/// fallbacks and every failed attempt.
///
/// **Which logger.** By default each line goes to the calling task's `Logger.current`, the logger
/// the application bound with swift-log's `withLogger(_:_:)`, so per-request metadata (a request
/// id bound with `withLogger(mergingMetadata:)`) reaches every line even though the strategy is
/// shared by all requests. Give a `logger` to send lines to it instead; the task's metadata is
/// still merged into each line (the logger's own metadata wins on a clash). The library never
/// bootstraps logging.
///
/// ```swift
/// let breaker = CircuitBreaker(name: "ocr", observer: LoggingObserver())
/// try await withLogger(mergingMetadata: ["request.id": "\(request.id)"]) { _ in
///     try await breaker.execute { try await ocr.extract(id) }   // its lines carry request.id
/// }
/// ```
///
/// **Cost.** An event whose level is disabled costs a level comparison: the message and metadata
/// are built only for lines that are emitted.
///
/// **Metadata keys** (each line has the first three; the others when the event reports them):
/// `resilience.event` (the ``ResilienceEvent/Kind`` name), `resilience.strategy`,
/// `resilience.pipeline`, `resilience.attempt`, `resilience.delay_seconds`, `resilience.category`,
/// `resilience.retry_after_seconds` (a server's hint), `resilience.duration_seconds` (an attempt's or
/// a call's), `resilience.error` (the error's description),
/// `resilience.error_type` (its type name), `resilience.stop_reason`, `resilience.budget`,
/// `resilience.timeout_seconds`, `resilience.from_state`, `resilience.to_state`,
/// `resilience.reason` (why a circuit changed state), `resilience.state` (a rejecting circuit's),
/// `resilience.limit_reason` (why a limiter refused), `resilience.fault` (what was injected).
///
/// **Levels** (each configurable; `nil` turns a kind off):
///
/// | event | default |
/// |---|---|
/// | ``ResilienceEvent/Kind/retryScheduled`` | `warning` |
/// | ``ResilienceEvent/Kind/retriesEnded`` | `error`; `debug` when nothing was retried (a cancelled call, or a first attempt whose error is not retryable) |
/// | ``ResilienceEvent/Kind/timedOut`` | `warning` |
/// | ``ResilienceEvent/Kind/retryBudgetRefused`` | `warning` |
/// | ``ResilienceEvent/Kind/circuitStateChanged`` to open or isolated | `warning` |
/// | ``ResilienceEvent/Kind/circuitStateChanged`` to half-open, closed or disabled | `notice` |
/// | ``ResilienceEvent/Kind/fallbackUsed`` | `info` |
/// | ``ResilienceEvent/Kind/hedgeStarted``, ``ResilienceEvent/Kind/faultInjected`` | `debug` |
/// | ``ResilienceEvent/Kind/callRejected``, ``ResilienceEvent/Kind/limitExceeded`` | off |
/// | ``ResilienceEvent/Kind/attemptFailed`` | off |
/// | ``ResilienceEvent/Kind/callCompleted`` | off |
/// | successes, rejected results, initial delays | never logged |
public struct LoggingObserver: ResilienceObserver {
    /// The logger lines go to, or `nil` for the calling task's `Logger.current`.
    public var logger: Logger?
    /// The level of the line before each retry's wait. Default: `.warning`.
    public var retryLevel: Logger.Level
    /// The level of the line when retrying ends without success after retrying. Default: `.error`.
    /// (A cancelled call, or a first attempt whose error is not retryable, is logged at `.debug`.)
    public var gaveUpLevel: Logger.Level
    /// The level of each failed attempt's line, or `nil` not to log attempts. Default: `nil`.
    public var attemptFailedLevel: Logger.Level?
    /// The level of each time-out's line, or `nil`. Default: `.warning`.
    public var timedOutLevel: Logger.Level?
    /// The level of each retry budget refusal's line, or `nil`. Default: `.warning`.
    public var budgetRefusedLevel: Logger.Level?
    /// The level of the line when a circuit opens or is isolated. Default: `.warning`.
    public var circuitOpenedLevel: Logger.Level
    /// The level of the line when a circuit half-opens, closes, or is disabled. Default: `.notice`.
    public var circuitRecoveringLevel: Logger.Level
    /// The level of each call a circuit breaker rejects, or `nil` not to log them. Default: `nil`.
    public var callRejectedLevel: Logger.Level?
    /// The level of each fallback run, or `nil` not to log them. Default: `.info`.
    public var fallbackUsedLevel: Logger.Level?
    /// The level of each call a limiter refuses, or `nil` not to log them. Default: `nil`.
    public var limitExceededLevel: Logger.Level?
    /// The level of each hedged attempt started, or `nil` not to log them. Default: `.debug`.
    public var hedgeStartedLevel: Logger.Level?
    /// The level of each injected fault, or `nil` not to log them. Default: `.debug`.
    public var faultInjectedLevel: Logger.Level?
    /// The level of each pipeline call's end, or `nil` not to log them. Default: `nil`.
    public var callCompletedLevel: Logger.Level?

    /// Creates a logging observer.
    ///
    /// - Parameters:
    ///   - logger: The logger lines go to, or `nil` (the default) for the calling task's `Logger.current`.
    ///   - retryLevel: The level of the line before each wait.
    ///   - gaveUpLevel: The level of the line when retrying ends without success.
    ///   - attemptFailedLevel: The level of each failed attempt's line, or `nil` for none.
    ///   - timedOutLevel: The level of each time-out's line, or `nil` for none.
    ///   - budgetRefusedLevel: The level of each budget refusal's line, or `nil` for none.
    ///   - circuitOpenedLevel: The level of the line when a circuit opens or is isolated.
    ///   - circuitRecoveringLevel: The level of the line when a circuit half-opens, closes or is disabled.
    ///   - callRejectedLevel: The level of each rejected call's line, or `nil` for none.
    ///   - fallbackUsedLevel: The level of each fallback run's line, or `nil` for none.
    ///   - limitExceededLevel: The level of each limiter refusal's line, or `nil` for none.
    ///   - hedgeStartedLevel: The level of each hedged attempt's line, or `nil` for none.
    ///   - faultInjectedLevel: The level of each injected fault's line, or `nil` for none.
    ///   - callCompletedLevel: The level of each pipeline call's end, or `nil` for none.
    public init(
        logger: Logger? = nil,
        retryLevel: Logger.Level = .warning,
        gaveUpLevel: Logger.Level = .error,
        attemptFailedLevel: Logger.Level? = nil,
        timedOutLevel: Logger.Level? = .warning,
        budgetRefusedLevel: Logger.Level? = .warning,
        circuitOpenedLevel: Logger.Level = .warning,
        circuitRecoveringLevel: Logger.Level = .notice,
        callRejectedLevel: Logger.Level? = nil,
        fallbackUsedLevel: Logger.Level? = .info,
        limitExceededLevel: Logger.Level? = nil,
        hedgeStartedLevel: Logger.Level? = .debug,
        faultInjectedLevel: Logger.Level? = .debug,
        callCompletedLevel: Logger.Level? = nil
    ) {
        self.logger = logger
        self.retryLevel = retryLevel
        self.gaveUpLevel = gaveUpLevel
        self.attemptFailedLevel = attemptFailedLevel
        self.timedOutLevel = timedOutLevel
        self.budgetRefusedLevel = budgetRefusedLevel
        self.circuitOpenedLevel = circuitOpenedLevel
        self.circuitRecoveringLevel = circuitRecoveringLevel
        self.callRejectedLevel = callRejectedLevel
        self.fallbackUsedLevel = fallbackUsedLevel
        self.limitExceededLevel = limitExceededLevel
        self.hedgeStartedLevel = hedgeStartedLevel
        self.faultInjectedLevel = faultInjectedLevel
        self.callCompletedLevel = callCompletedLevel
    }

    /// Logs the event if its kind is logged at an enabled level.
    ///
    /// - Parameter event: What happened.
    public func observe(_ event: ResilienceEvent) {
        guard let level = level(of: event) else { return }
        let target = logger ?? Logger.current
        guard target.logLevel <= level else { return }
        var metadata = metadata(of: event)
        if logger != nil {
            // The calling task's metadata (a request id) joins the line; the logger's own wins on a clash.
            for (key, value) in Logger.current.handler.metadata where target[metadataKey: key] == nil && metadata[key] == nil {
                metadata[key] = value
            }
        }
        target.log(level: level, "\(message(for: event))", metadata: metadata)
    }

    /// The level `event` is logged at, or `nil` not to log it.
    func level(of event: ResilienceEvent) -> Logger.Level? {
        switch event.details {
        case .retryScheduled:
            return retryLevel
        case .retriesEnded(let attempts, let reason, _):
            // A cancelled call, or a first attempt whose error is simply not retryable (a 404), is
            // routine: nothing was retried, so nothing was given up on.
            let routine = reason == .cancelled || (reason == .notRetryable && attempts == 1)
            return routine ? .debug : gaveUpLevel
        case .attemptFailed:
            return attemptFailedLevel
        case .timedOut:
            return timedOutLevel
        case .retryBudgetRefused:
            return budgetRefusedLevel
        case .circuitStateChanged(let transition):
            return transition.to == .open || transition.to == .isolated ? circuitOpenedLevel : circuitRecoveringLevel
        case .callRejected:
            return callRejectedLevel
        case .fallbackUsed:
            return fallbackUsedLevel
        case .limitExceeded:
            return limitExceededLevel
        case .hedgeStarted:
            return hedgeStartedLevel
        case .faultInjected:
            return faultInjectedLevel
        case .attemptSucceeded, .resultRejected, .initialDelay:
            return nil
        case .callCompleted:
            return callCompletedLevel
        }
    }

    /// The line's text.
    func message(for event: ResilienceEvent) -> String {
        switch event.details {
        case .retryScheduled(let attempt, let delay, _, let classification):
            "Attempt \(attempt) failed (\(classification.category)), retrying in \(delay.roundedSecondsDescription) s"
        case .retriesEnded(let attempts, let reason, _):
            "Giving up after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(reason)"
        case .attemptFailed(let attempt, _, let classification, _):
            "Attempt \(attempt) failed (\(classification.category))"
        case .timedOut(let timeout):
            "Timed out after \(timeout.roundedSecondsDescription) s"
        case .retryBudgetRefused(let budget, let attempt):
            "Retry budget \(budget) exhausted: not retrying after attempt \(attempt)"
        case .circuitStateChanged(let transition):
            "Circuit \(transition.to) (was \(transition.from)): \(transition.reason)"
        case .callRejected(let state, _):
            "Call rejected: circuit \(state)"
        case .fallbackUsed(let reason):
            "Using fallback after \(reason.classification.category)"
        case .limitExceeded(let reason, _):
            "Call refused by limiter: \(reason)"
        case .hedgeStarted(let attempt, _):
            "Started hedged attempt \(attempt)"
        case .faultInjected(let fault):
            "Injected fault: \(fault)"
        case .callCompleted(_, let error, let classification):
            error == nil ? "Call succeeded" : "Call failed (\(classification?.category.name ?? "error"))"
        case .attemptSucceeded, .resultRejected, .initialDelay:
            event.description
        }
    }

    /// The line's metadata, under the documented keys.
    func metadata(of event: ResilienceEvent) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "resilience.event": "\(event.kind.name)",
            "resilience.strategy": "\(event.strategy)",
        ]
        if let pipeline = event.pipeline { metadata["resilience.pipeline"] = "\(pipeline)" }
        if let attempt = event.attempt { metadata["resilience.attempt"] = "\(attempt)" }
        if let delay = event.delay { metadata["resilience.delay_seconds"] = "\(delay.inSeconds)" }
        if let duration = event.duration { metadata["resilience.duration_seconds"] = "\(duration.inSeconds)" }
        if let classification = event.classification {
            metadata["resilience.category"] = "\(classification.category)"
            if let hint = classification.retryAfter { metadata["resilience.retry_after_seconds"] = "\(hint.inSeconds)" }
        }
        if let error = event.error {
            metadata["resilience.error"] = "\(String(describing: error))"
            metadata["resilience.error_type"] = "\(String(reflecting: type(of: error)))"
        }
        if let reason = event.stopReason { metadata["resilience.stop_reason"] = "\(reason)" }
        if let budget = event.budget { metadata["resilience.budget"] = "\(budget)" }
        if let timeout = event.timeout { metadata["resilience.timeout_seconds"] = "\(timeout.inSeconds)" }
        if let transition = event.transition {
            metadata["resilience.from_state"] = "\(transition.from)"
            metadata["resilience.to_state"] = "\(transition.to)"
            metadata["resilience.reason"] = "\(transition.reason)"
        }
        if let state = event.circuitState { metadata["resilience.state"] = "\(state)" }
        if let retryAfter = event.retryAfter {
            metadata["resilience.retry_after_seconds"] = "\(retryAfter.inSeconds)"
        }
        if let reason = event.limitReason { metadata["resilience.limit_reason"] = "\(reason)" }
        if let fault = event.fault { metadata["resilience.fault"] = "\(fault)" }
        return metadata
    }
}
