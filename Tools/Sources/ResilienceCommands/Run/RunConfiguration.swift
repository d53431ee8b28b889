import Resilience

/// Everything `resilience run` was asked to do, validated.
package struct RunConfiguration: Sendable {
    /// Where the JSON summary goes.
    package enum SummaryDestination: Hashable, Sendable {
        /// To standard error, after the progress messages (`--json`).
        case standardError
        /// To a file, replaced if it exists (`--json-file FILE`).
        case file(String)
    }

    /// The command and its arguments.
    package var command: [String]
    /// Attempts, backoff, jitter and the overall deadline (``RetryPolicy/maxElapsedTime``).
    package var policy: RetryPolicy
    /// The outcomes that are retried; `nil` for every failure (any non-zero status).
    package var retryOn: ExitStatusSet?
    /// Outcomes that are never retried, even when ``retryOn`` lists them.
    package var stopOn: ExitStatusSet
    /// The time limit of each attempt, or `nil` for none.
    package var attemptTimeout: Duration?
    /// How long a timed-out attempt's process group has to exit after `SIGTERM` before `SIGKILL`.
    package var killGrace: Duration
    /// Whether to leave out progress messages (errors are still reported).
    package var quiet: Bool
    /// Where to write the JSON summary, or `nil` for none.
    package var summaryDestination: SummaryDestination?
    /// Whether to replay `resilience`'s standard input to every attempt (else `/dev/null`).
    package var replaysStandardInput: Bool
    /// The most bytes kept of the standard input, and of each attempt's standard output
    /// (`--spool-limit`).
    package var spoolLimit: Int

    /// Creates a configuration.
    ///
    /// - Parameters:
    ///   - command: The command and its arguments.
    ///   - policy: Attempts, backoff, jitter and deadline; it must retry ``ErrorCategory/transient``.
    ///   - retryOn: The outcomes retried; `nil` for any failure.
    ///   - stopOn: Outcomes never retried.
    ///   - attemptTimeout: Each attempt's time limit.
    ///   - killGrace: Time between `SIGTERM` and `SIGKILL` for a timed-out attempt.
    ///   - quiet: Whether to leave out progress messages.
    ///   - summaryDestination: Where to write the JSON summary.
    ///   - replaysStandardInput: Whether to replay standard input to every attempt.
    ///   - spoolLimit: The most bytes of standard input, and of each attempt's output, kept.
    package init(
        command: [String],
        policy: RetryPolicy,
        retryOn: ExitStatusSet? = nil,
        stopOn: ExitStatusSet = ExitStatusSet(),
        attemptTimeout: Duration? = nil,
        killGrace: Duration = .seconds(2),
        quiet: Bool = false,
        summaryDestination: SummaryDestination? = nil,
        replaysStandardInput: Bool = true,
        spoolLimit: Int = Spool.defaultLimit
    ) {
        self.command = command
        self.policy = policy
        self.retryOn = retryOn
        self.stopOn = stopOn
        self.attemptTimeout = attemptTimeout
        self.killGrace = killGrace
        self.quiet = quiet
        self.summaryDestination = summaryDestination
        self.replaysStandardInput = replaysStandardInput
        self.spoolLimit = spoolLimit
    }

    /// The overall deadline: no wait starts that would end past it, and it bounds the running attempt.
    package var deadline: Duration? { policy.maxElapsedTime }

    /// Whether the outcome of an attempt that ran calls for another attempt, by ``retryOn`` and
    /// ``stopOn`` alone (attempts left and the deadline are the retry loop's business).
    ///
    /// - Parameter outcome: The outcome of an attempt that ran.
    /// - Returns: `true` when the outcome is listed in ``retryOn`` (or, without it, is a failure) and
    ///   not in ``stopOn``.
    package func retries(_ outcome: AttemptOutcome) -> Bool {
        let listed = retryOn?.matches(outcome) ?? !outcome.succeeded
        return listed && !stopOn.matches(outcome)
    }
}
