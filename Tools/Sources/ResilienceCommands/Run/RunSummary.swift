@_spi(ResilienceTools) import Resilience

/// What `resilience run` did, written as JSON by `--json` (to standard error) or `--json-file FILE`.
///
/// ```json
/// {
///   "attempts": 2,
///   "command": ["curl", "-fsS", "https://example.com/health"],
///   "exitStatus": 0,
///   "history": [
///     { "attempt": 1, "delayAfterSeconds": 1.18, "durationSeconds": 0.21, "exitCode": 7,
///       "exitStatus": 7, "outcome": "exited", "startSeconds": 0 },
///     { "attempt": 2, "durationSeconds": 0.19, "exitCode": 0, "exitStatus": 0,
///       "outcome": "exited", "startSeconds": 1.39 }
///   ],
///   "maxAttempts": 3,
///   "stopReason": "succeeded",
///   "totalSeconds": 1.58
/// }
/// ```
///
/// Keys are sorted; absent values are left out (`maxAttempts` with `--attempts forever`, `exitCode`
/// for an attempt ended by a signal, `delayAfterSeconds` for the last attempt). A rejected attempt
/// (`"outcome": "rejected"`, such as one refused by an open `--breaker`) has the gate's reason in
/// `rejection` and, when known, the time until attempts may be admitted again in `retryAfterSeconds`;
/// one stopped because its input or output could not be kept (`"outcome": "spoolFailed"`) says why in
/// `spoolFailure`.
package struct RunSummary: Codable, Hashable, Sendable {
    /// One attempt in ``RunSummary/history``.
    package struct Attempt: Codable, Hashable, Sendable {
        /// The attempt's number, from 1.
        package var attempt: Int
        /// `exited`, `signaled`, `timedOut`, `cannotStart`, `rejected`, `interrupted` or `spoolFailed`.
        package var outcome: String
        /// The status as `resilience` reports it (see ``AttemptOutcome/exitStatus``).
        package var exitStatus: Int32
        /// The command's exit code, when it exited.
        package var exitCode: Int32?
        /// The signal that ended the command (for a time-out, none: see `outcome`).
        package var signal: Int32?
        /// When the attempt started, in seconds from the start of the run.
        package var startSeconds: Double
        /// How long the attempt ran, in seconds.
        package var durationSeconds: Double
        /// The wait before the next attempt, in seconds, when there was one.
        package var delayAfterSeconds: Double?
        /// Why a gate (such as `--breaker`) refused the attempt, for a rejected one.
        package var rejection: String?
        /// How long until the gate may admit attempts again, in seconds, when a rejection says.
        package var retryAfterSeconds: Double?
        /// Why the attempt was stopped, for one whose input or output could not be kept.
        package var spoolFailure: String?

        /// Creates the record of `outcome`, followed by a wait of `delayAfter` if any.
        ///
        /// - Parameters:
        ///   - outcome: The attempt's outcome.
        ///   - delayAfter: The wait before the next attempt.
        package init(_ outcome: AttemptOutcome, delayAfter: Duration?) {
            attempt = outcome.attempt
            exitStatus = outcome.exitStatus
            startSeconds = roundedToMicroseconds(outcome.startOffset)
            durationSeconds = roundedToMicroseconds(outcome.duration)
            delayAfterSeconds = delayAfter.map(roundedToMicroseconds)
            switch outcome.termination {
            case .exited(let code):
                self.outcome = "exited"
                exitCode = code
            case .signaled(let signal):
                self.outcome = "signaled"
                self.signal = signal
            case .timedOut: self.outcome = "timedOut"
            case .cannotStart: self.outcome = "cannotStart"
            case .rejected(let rejection):
                self.outcome = "rejected"
                self.rejection = rejection.reason
                retryAfterSeconds = rejection.retryAfter.map(roundedToMicroseconds)
            case .interrupted: self.outcome = "interrupted"
            case .spoolFailed(let failure):
                self.outcome = "spoolFailed"
                self.spoolFailure = failure.description
            }
        }
    }

    /// Why the run stopped.
    package struct StopReason: RawRepresentable, Codable, Hashable, Sendable, CustomStringConvertible {
        /// The reason's name, as in the JSON.
        package var rawValue: String

        /// Creates a reason from its name.
        ///
        /// - Parameter rawValue: The name.
        package init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// The last attempt succeeded (an outcome not to retry, with status 0).
        package static let succeeded = StopReason(rawValue: "succeeded")
        /// Every allowed attempt was used.
        package static let attemptsExhausted = StopReason(rawValue: "attemptsExhausted")
        /// The last outcome is not to be retried (`--retry-on` / `--stop-on`).
        package static let notRetryable = StopReason(rawValue: "notRetryable")
        /// The `--deadline` ended the last attempt, or the next wait would have crossed it.
        package static let deadlineExceeded = StopReason(rawValue: "deadlineExceeded")
        /// `SIGINT`, `SIGTERM` or `SIGHUP` arrived.
        package static let interrupted = StopReason(rawValue: "interrupted")
        /// The command could not be started.
        package static let cannotStart = StopReason(rawValue: "cannotStart")
        /// A gate (such as a circuit breaker) refused the attempt.
        package static let rejected = StopReason(rawValue: "rejected")
        /// The standard input or an attempt's output could not be kept (`--spool-limit`, or the
        /// temporary file failed).
        package static let spoolFailed = StopReason(rawValue: "spoolFailed")

        /// The name.
        package var description: String { rawValue }
    }

    /// The command and its arguments.
    package var command: [String]
    /// `resilience`'s exit status: the last attempt's, or `128 + N` when signal `N` interrupted a wait.
    package var exitStatus: Int32
    /// Why the run stopped.
    package var stopReason: StopReason
    /// How many attempts were made (started or refused).
    package var attempts: Int
    /// The most attempts allowed, or `nil` for `--attempts forever`.
    package var maxAttempts: Int?
    /// The whole run, in seconds.
    package var totalSeconds: Double
    /// Every attempt, in order.
    package var history: [Attempt]
}

/// `duration` in seconds, rounded to the microsecond so that the JSON stays readable.
func roundedToMicroseconds(_ duration: Duration) -> Double {
    (duration.inSeconds * 1e6).rounded() / 1e6
}
