import Logging

/// Logs retries through an injected swift-log `Logger`: a warning before each wait (the guide's
/// `before_sleep_log(logger, logging.WARNING)`), and a message when retrying ends without success.
/// Also logs circuit breakers' changes of state (a warning when a circuit opens or is isolated, a
/// notice when it half-opens, closes or is disabled) and, optionally, their rejections and fallbacks.
///
/// Each message carries metadata: `resilience.strategy`, `resilience.attempt`, `resilience.delay_seconds`,
/// `resilience.category`, `resilience.error`, `resilience.reason`, `resilience.from_state`,
/// `resilience.to_state`, `resilience.state`, `resilience.retry_after_seconds`. The library never
/// bootstraps logging; pass the logger your application configured.
///
/// ```swift
/// let value = try await retry(.default, observer: LoggingObserver(logger: logger)) {
///     try await client.fetch()
/// }
/// ```
public struct LoggingObserver: ResilienceObserver {
    /// The logger messages go to.
    public var logger: Logger
    /// The level of the message before each wait. Default: `.warning`.
    public var retryLevel: Logger.Level
    /// The level of the message when retrying ends without success after retrying. Default: `.error`.
    /// (A cancelled call, or a first attempt whose error is not retryable, is logged at `.debug`.)
    public var gaveUpLevel: Logger.Level
    /// The level of each failed attempt's message, or `nil` not to log attempts. Default: `nil`.
    public var attemptFailedLevel: Logger.Level?
    /// The level of the message when a circuit opens or is isolated. Default: `.warning`.
    public var circuitOpenedLevel: Logger.Level
    /// The level of the message when a circuit half-opens, closes, or is disabled. Default: `.notice`.
    public var circuitRecoveringLevel: Logger.Level
    /// The level of each call a circuit breaker rejects, or `nil` not to log them. Default: `nil`.
    public var callRejectedLevel: Logger.Level?
    /// The level of each fallback run, or `nil` not to log them. Default: `.info`.
    public var fallbackUsedLevel: Logger.Level?

    /// Creates a logging observer.
    ///
    /// - Parameters:
    ///   - logger: The logger messages go to.
    ///   - retryLevel: The level of the message before each wait.
    ///   - gaveUpLevel: The level of the message when retrying ends without success.
    ///   - attemptFailedLevel: The level of each failed attempt's message, or `nil` for none.
    ///   - circuitOpenedLevel: The level of the message when a circuit opens or is isolated.
    ///   - circuitRecoveringLevel: The level of the message when a circuit half-opens, closes or is disabled.
    ///   - callRejectedLevel: The level of each rejected call's message, or `nil` for none.
    ///   - fallbackUsedLevel: The level of each fallback run's message, or `nil` for none.
    public init(
        logger: Logger,
        retryLevel: Logger.Level = .warning,
        gaveUpLevel: Logger.Level = .error,
        attemptFailedLevel: Logger.Level? = nil,
        circuitOpenedLevel: Logger.Level = .warning,
        circuitRecoveringLevel: Logger.Level = .notice,
        callRejectedLevel: Logger.Level? = nil,
        fallbackUsedLevel: Logger.Level? = .info
    ) {
        self.logger = logger
        self.retryLevel = retryLevel
        self.gaveUpLevel = gaveUpLevel
        self.attemptFailedLevel = attemptFailedLevel
        self.circuitOpenedLevel = circuitOpenedLevel
        self.circuitRecoveringLevel = circuitRecoveringLevel
        self.callRejectedLevel = callRejectedLevel
        self.fallbackUsedLevel = fallbackUsedLevel
    }

    /// Logs the event if it is one this observer logs.
    ///
    /// - Parameter event: What happened.
    public func observe(_ event: ResilienceEvent) {
        var metadata: Logger.Metadata = ["resilience.strategy": "\(event.strategy)"]
        if let pipeline = event.pipeline { metadata["resilience.pipeline"] = "\(pipeline)" }
        switch event.kind {
        case .retryScheduled(let attempt, let delay, let error, let classification):
            metadata["resilience.attempt"] = "\(attempt)"
            metadata["resilience.delay_seconds"] = "\(delay.inSeconds)"
            metadata["resilience.category"] = "\(classification.category)"
            if let error { metadata["resilience.error"] = "\(String(describing: error))" }
            logger.log(level: retryLevel, "Attempt \(attempt) failed, retrying in \(delay.inSeconds) s", metadata: metadata)
        case .retriesEnded(let attempts, let reason, let error):
            metadata["resilience.attempt"] = "\(attempts)"
            metadata["resilience.reason"] = "\(reason)"
            if let error { metadata["resilience.error"] = "\(String(describing: error))" }
            // A cancelled call, or a first attempt whose error is simply not retryable (a 404), is routine:
            // nothing was retried, so nothing was given up on.
            let routine = reason == .cancelled || (reason == .notRetryable && attempts == 1)
            logger.log(
                level: routine ? .debug : gaveUpLevel,
                "Giving up after \(attempts) attempt(s): \(reason)",
                metadata: metadata
            )
        case .attemptFailed(let attempt, let error, let classification):
            guard let level = attemptFailedLevel else { return }
            metadata["resilience.attempt"] = "\(attempt)"
            metadata["resilience.category"] = "\(classification.category)"
            metadata["resilience.error"] = "\(String(describing: error))"
            logger.log(level: level, "Attempt \(attempt) failed", metadata: metadata)
        case .timedOut(let timeout):
            metadata["resilience.timeout_seconds"] = "\(timeout.inSeconds)"
            logger.log(level: retryLevel, "Timed out after \(timeout.inSeconds) s", metadata: metadata)
        case .retryBudgetRefused(let budget, let attempt):
            metadata["resilience.attempt"] = "\(attempt)"
            metadata["resilience.budget"] = "\(budget)"
            logger.log(level: retryLevel, "Retry budget exhausted: not retrying after attempt \(attempt)", metadata: metadata)
        case .circuitStateChanged(let from, let to, let reason):
            metadata["resilience.from_state"] = "\(from)"
            metadata["resilience.to_state"] = "\(to)"
            metadata["resilience.reason"] = "\(reason)"
            let level = (to == .open || to == .isolated) ? circuitOpenedLevel : circuitRecoveringLevel
            logger.log(level: level, "Circuit \(to) (was \(from)): \(reason)", metadata: metadata)
        case .callRejected(let state, let retryAfter):
            guard let level = callRejectedLevel else { return }
            metadata["resilience.state"] = "\(state)"
            if let retryAfter { metadata["resilience.retry_after_seconds"] = "\(retryAfter.inSeconds)" }
            logger.log(level: level, "Call rejected: circuit \(state)", metadata: metadata)
        case .fallbackUsed(let reason):
            guard let level = fallbackUsedLevel else { return }
            metadata["resilience.category"] = "\(reason.classification.category)"
            metadata["resilience.error"] = "\(String(describing: reason.error))"
            logger.log(level: level, "Using fallback after \(reason.classification.category)", metadata: metadata)
        case .attemptSucceeded, .resultRejected, .initialDelay:
            break
        }
    }
}
