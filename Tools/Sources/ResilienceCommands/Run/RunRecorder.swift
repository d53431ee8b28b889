import Resilience

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Records the attempts of one `resilience run` and reports them on standard error as they happen.
///
/// It observes the library's retry loop: on each scheduled retry it passes the failed attempt's
/// standard output to standard error (only the attempt that ends the run writes to standard output)
/// and says what happened and how long the wait is. `Sendable`: its state is behind a lock (``LockedState``).
final class RunRecorder: ResilienceObserver {
    private struct State {
        var outcomes: [AttemptOutcome] = []
        var delays: [Int: Duration] = [:]
        var endReason: RetryStopReason?
    }

    private let state = LockedState(State())
    private let configuration: RunConfiguration
    private let diagnostics: any OutputSink

    init(configuration: RunConfiguration, diagnostics: any OutputSink) {
        self.configuration = configuration
        self.diagnostics = diagnostics
    }

    /// Records an attempt's outcome, before the retry loop decides what follows it.
    func record(_ outcome: AttemptOutcome) {
        state.withLock { $0.outcomes.append(outcome) }
    }

    /// The last outcome recorded.
    var lastOutcome: AttemptOutcome? { state.withLock { $0.outcomes.last } }

    func observe(_ event: ResilienceEvent) {
        switch event.kind {
        case .retryScheduled:
            guard let attempt = event.attempt, let delay = event.delay else { return }
            let outcome = state.withLock { state -> AttemptOutcome? in
                state.delays[attempt] = delay
                guard let index = state.outcomes.lastIndex(where: { $0.attempt == attempt }) else { return nil }
                let outcome = state.outcomes[index]
                // Its output goes to stderr now and is not needed again: do not hold every attempt's
                // output for the whole run (`--attempts forever` with a chatty command).
                state.outcomes[index].standardOutput = Spool([])
                return outcome
            }
            guard let outcome else { return }
            diagnostics.write(outcome.standardOutput)
            report("\(label(outcome)) failed: \(outcome.summary); retrying in \(DurationArgument.format(delay))")
        case .retriesEnded:
            state.withLock { $0.endReason = event.stopReason }
        default:
            break
        }
    }

    /// Builds the summary of the run and reports how it ended.
    ///
    /// - Parameters:
    ///   - interruptedWhileWaiting: Whether a signal ended the run during a wait between attempts.
    ///   - signal: The first signal received, if any.
    ///   - total: The run's duration.
    func finish(interruptedWhileWaiting: Bool, signal: Int32?, total: Duration) -> RunSummary {
        let (outcomes, delays, endReason) = state.withLock { ($0.outcomes, $0.delays, $0.endReason) }
        let maxAttempts = configuration.policy.maxAttempts == .max ? nil : configuration.policy.maxAttempts
        var summary = RunSummary(
            command: configuration.command,
            exitStatus: 0,
            stopReason: .succeeded,
            attempts: outcomes.count,
            maxAttempts: maxAttempts,
            totalSeconds: roundedToMicroseconds(total),
            history: outcomes.map { RunSummary.Attempt($0, delayAfter: delays[$0.attempt]) }
        )
        guard let last = outcomes.last, !interruptedWhileWaiting else {
            let signal = signal ?? SIGINT
            summary.exitStatus = 128 + signal
            summary.stopReason = .interrupted
            report("interrupted by \(SignalName.name(of: signal)) while waiting; no further attempts")
            return summary
        }
        summary.exitStatus = last.exitStatus
        summary.stopReason = stopReason(last: last, endReason: endReason, signal: signal)
        reportEnd(last, reason: summary.stopReason, signal: signal)
        return summary
    }

    private func stopReason(last: AttemptOutcome, endReason: RetryStopReason?, signal: Int32?) -> RunSummary.StopReason {
        switch last.termination {
        case .cannotStart: return .cannotStart
        case .spoolFailed: return .spoolFailed
        case .rejected: return .rejected
        case .interrupted: return .interrupted
        case .timedOut(_, byDeadline: true): return .deadlineExceeded
        case .exited, .signaled, .timedOut: break
        }
        if signal != nil { return .interrupted }
        switch endReason {
        case nil: return .succeeded
        case .attemptsExhausted?: return .attemptsExhausted
        case .elapsedTimeExhausted?: return .deadlineExceeded
        case .cancelled?: return .interrupted
        default: return .notRetryable
        }
    }

    private func reportEnd(_ last: AttemptOutcome, reason: RunSummary.StopReason, signal: Int32?) {
        switch reason {
        case .succeeded where last.attempt > 1:
            report("\(label(last)) succeeded")
        case .attemptsExhausted:
            report("\(label(last)) failed: \(last.summary); no attempts left")
        case .notRetryable:
            let why =
                configuration.stopOn.matches(last)
                ? "its status is listed in --stop-on" : "its status is not listed in --retry-on"
            report("\(label(last)) failed: \(last.summary); not retrying: \(why)")
        case .deadlineExceeded:
            if case .timedOut = last.termination {
                report("\(label(last)) \(last.summary); no further attempts")
            } else {
                let deadline = configuration.deadline.map { " (\(DurationArgument.format($0)))" } ?? ""
                report("\(label(last)) failed: \(last.summary); giving up: the next attempt would start after the --deadline\(deadline)")
            }
        case .interrupted:
            let name = SignalName.name(of: signal ?? SIGINT)
            if case .interrupted = last.termination {
                report("interrupted by \(name); no further attempts")
            } else {
                report("\(label(last)) ended: \(last.summary); interrupted by \(name), no further attempts")
            }
        case .cannotStart:
            if case .cannotStart(let errno) = last.termination {
                let why = errno == ENOENT ? "command not found" : SystemError.message(errno)
                // An error, not progress: reported even with --quiet.
                diagnostics.write("resilience: cannot run \"\(configuration.command.first ?? "")\": \(why)\n")
            }
        case .spoolFailed:
            if case .spoolFailed(let failure) = last.termination {
                // An error, not progress: reported even with --quiet.
                diagnostics.write("resilience: \(failure); \(label(last)) was stopped, no further attempts\n")
            }
        case .rejected:
            // Why the command did not run (and the run failed): reported even with --quiet.
            diagnostics.write("resilience: \(label(last)) \(last.summary); no further attempts\n")
        default:
            break
        }
    }

    private func label(_ outcome: AttemptOutcome) -> String {
        let attempts = configuration.policy.maxAttempts
        return attempts == .max ? "attempt \(outcome.attempt)" : "attempt \(outcome.attempt)/\(attempts)"
    }

    private func report(_ message: String) {
        guard !configuration.quiet else { return }
        diagnostics.write("resilience: \(message)\n")
    }
}
