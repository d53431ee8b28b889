#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How one attempt of `resilience run` ended.
package struct AttemptOutcome: Hashable, Sendable {
    /// What ended the attempt.
    package enum Termination: Hashable, Sendable {
        /// The command exited with `code`.
        case exited(code: Int32)
        /// A signal ended the command (one forwarded by `resilience`, or any other).
        case signaled(signal: Int32)
        /// The attempt ran past its time limit (`--timeout`, or what was left of `--deadline` when
        /// `byDeadline`), and its whole process group was killed.
        case timedOut(limit: Duration, byDeadline: Bool)
        /// The command could not be started; `errno` says why (`ENOENT`: not found, `EACCES`: not
        /// executable, …).
        case cannotStart(errno: Int32)
        /// A gate (such as a circuit breaker) refused the attempt before it started.
        case rejected(AttemptRejection)
        /// `resilience` was interrupted by `signal` before the attempt could start.
        case interrupted(signal: Int32)
        /// The attempt was stopped (its process group killed) because its standard input or output
        /// could not be kept: past `--spool-limit`, or the temporary file failed. Status 74.
        case spoolFailed(SpoolFailure)
    }

    /// The attempt's number, from 1.
    package var attempt: Int
    /// What ended the attempt.
    package var termination: Termination
    /// When the attempt started, measured from the start of the run.
    package var startOffset: Duration
    /// How long the attempt ran.
    package var duration: Duration
    /// Everything the command wrote to its standard output.
    package var standardOutput: Spool

    /// Creates an outcome.
    ///
    /// - Parameters:
    ///   - attempt: The attempt's number, from 1.
    ///   - termination: What ended the attempt.
    ///   - startOffset: When the attempt started, from the start of the run.
    ///   - duration: How long it ran.
    ///   - standardOutput: What the command wrote to its standard output.
    package init(
        attempt: Int, termination: Termination, startOffset: Duration = .zero, duration: Duration = .zero,
        standardOutput: Spool = Spool([])
    ) {
        self.attempt = attempt
        self.termination = termination
        self.startOffset = startOffset
        self.duration = duration
        self.standardOutput = standardOutput
    }

    /// The exit status `resilience run` reports for this attempt, as a shell would:
    /// the exit code; `128 + N` for signal `N`; `124` for a time-out (as `timeout(1)`); `127` for a
    /// command not found and `126` for one that cannot be executed (as `sh`); a gate's own status for
    /// a rejection; `74` (`EX_IOERR`) when its input or output could not be kept.
    package var exitStatus: Int32 {
        switch termination {
        case .exited(let code): code
        case .signaled(let signal), .interrupted(let signal): 128 + signal
        case .timedOut: 124
        case .cannotStart(let errno): errno == ENOENT || errno == ENOTDIR ? 127 : 126
        case .rejected(let rejection): rejection.exitStatus
        case .spoolFailed: 74
        }
    }

    /// Whether the command ran and exited with status 0.
    package var succeeded: Bool { termination == .exited(code: 0) }

    /// A short description such as `exit status 1`, `killed by SIGTERM` or `timed out after 5s`.
    package var summary: String {
        switch termination {
        case .exited(let code): "exit status \(code)"
        case .signaled(let signal): "killed by \(SignalName.name(of: signal)) (status \(128 + signal))"
        case .timedOut(let limit, let byDeadline):
            "timed out after \(DurationArgument.format(limit))\(byDeadline ? " (the --deadline)" : "") and its process group was killed"
        case .cannotStart(let errno): "could not start: \(SystemError.message(errno))"
        case .rejected(let rejection): "rejected: \(rejection.reason)"
        case .interrupted(let signal): "not started: interrupted by \(SignalName.name(of: signal))"
        case .spoolFailed(let failure): "stopped: \(failure)"
        }
    }
}

/// A gate's refusal of an attempt, such as an open circuit breaker's.
package struct AttemptRejection: Hashable, Sendable {
    /// Why the attempt was refused, for the progress message and the JSON summary.
    package var reason: String
    /// The exit status `resilience run` ends with when this rejection ends the run.
    package var exitStatus: Int32
    /// When the gate may admit attempts again, if it knows.
    package var retryAfter: Duration?

    /// Creates a rejection.
    ///
    /// - Parameters:
    ///   - reason: Why the attempt was refused.
    ///   - exitStatus: The exit status if this ends the run; default 75 (`EX_TEMPFAIL`).
    ///   - retryAfter: When attempts may be admitted again, if known.
    package init(reason: String, exitStatus: Int32 = 75, retryAfter: Duration? = nil) {
        self.reason = reason
        self.exitStatus = exitStatus
        self.retryAfter = retryAfter
    }
}
