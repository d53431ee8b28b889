import Foundation
import Resilience

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The engine of `resilience run`: runs a command until an outcome ends the run, with the library's
/// ``Retry`` loop deciding every wait.
///
/// Each attempt is the command started by ``ChildProcess`` (own process group, replayed standard
/// input, collected standard output). Its ``AttemptOutcome`` is classified for the retry loop:
/// outcomes to retry (by ``RunConfiguration/retries(_:)``) are ``ErrorClassification/transient``,
/// other failures ``ErrorClassification/permanent``, and a success is accepted. The loop then applies
/// the policy (attempts, backoff and jitter with the library's formulas, the deadline), exactly as it
/// does for Swift code.
///
/// Per attempt:
/// 1. every ``AttemptGate`` is asked to admit it (the hook for `--breaker`);
/// 2. the command starts, bounded by `--timeout` and what is left of `--deadline`: past the limit its
///    whole process group gets `SIGTERM`, then `SIGKILL` after ``RunConfiguration/killGrace``;
/// 3. the gates are told the outcome.
///
/// An ``Interruption`` (a forwarded `SIGINT`, `SIGTERM` or `SIGHUP`) reaches the running attempt's
/// process group and ends the loop: no further attempt, and no more waiting.
package struct CommandRunner<ClockType: Clock>: Sendable where ClockType.Duration == Duration {
    /// What to run and how.
    package var configuration: RunConfiguration
    /// The clock for waits, time limits and durations.
    package var clock: ClockType
    /// The source of jitter.
    package var random: RandomSource
    /// Signals received by `resilience`, forwarded to the running attempt.
    package var interruption: Interruption
    /// Checks before and after every attempt.
    package var gates: [any AttemptGate]
    /// `resilience`'s standard output: the output of the attempt that ends the run.
    package var output: any OutputSink
    /// `resilience`'s standard error: progress, earlier attempts' output, the JSON summary.
    package var diagnostics: any OutputSink

    /// Creates a runner.
    ///
    /// - Parameters:
    ///   - configuration: What to run and how.
    ///   - clock: The clock for waits, time limits and durations.
    ///   - random: The source of jitter.
    ///   - interruption: Signals to forward; a new one by default.
    ///   - gates: Checks before and after every attempt.
    ///   - output: Where the final attempt's standard output goes.
    ///   - diagnostics: Where progress, earlier attempts' output and the JSON summary go.
    package init(
        configuration: RunConfiguration,
        clock: ClockType,
        random: RandomSource = .system,
        interruption: Interruption = Interruption(),
        gates: [any AttemptGate] = [],
        output: any OutputSink = FileDescriptorSink.standardOutput,
        diagnostics: any OutputSink = FileDescriptorSink.standardError
    ) {
        self.configuration = configuration
        self.clock = clock
        self.random = random
        self.interruption = interruption
        self.gates = gates
        self.output = output
        self.diagnostics = diagnostics
    }

    /// Runs the command until an outcome ends the run, then writes the final attempt's standard output
    /// and, if asked, the JSON summary.
    ///
    /// - Parameter standardInput: The input replayed to every attempt (read as they take it), or `nil`
    ///   for `/dev/null`.
    /// - Returns: What happened; ``RunSummary/exitStatus`` is the status to exit with.
    package func run(standardInput: InputSpool?) async -> RunSummary {
        let recorder = RunRecorder(configuration: configuration, diagnostics: diagnostics)
        let start = clock.now
        let loop = Task { await retryLoop(standardInput: standardInput, start: start, recorder: recorder) }
        interruption.whenInterrupted { loop.cancel() }
        let final = await loop.value
        // Nothing left to forward a signal to: from here on a signal ends `resilience` at once, even
        // while a write below blocks (a stalled pipe, a FIFO without a reader).
        interruption.beginOutputPhase()
        let summary = recorder.finish(
            interruptedWhileWaiting: final == nil,
            signal: interruption.signal,
            total: start.duration(to: clock.now)
        )
        if let final { output.write(final.standardOutput) }
        writeSummary(summary)
        return summary
    }

    /// The library's retry loop over attempts; `nil` when a signal ended a wait.
    private func retryLoop(standardInput: InputSpool?, start: ClockType.Instant, recorder: RunRecorder) async -> AttemptOutcome? {
        let retry = Retry(configuration.policy, name: "resilience run", clock: clock, random: random, observer: recorder)
        var attempt = 0
        do {
            return try await retry.execute(classifyingResult: classify) {
                attempt += 1
                let outcome = await runAttempt(attempt, standardInput: standardInput, runStart: start)
                recorder.record(outcome)
                return outcome
            }
        } catch {
            // Only a wait throws: the loop was cancelled by a signal.
            return nil
        }
    }

    /// How the retry loop sees an outcome: `nil` to accept it, else a failure to retry or not.
    private func classify(_ outcome: AttemptOutcome) -> ErrorClassification? {
        switch outcome.termination {
        case .interrupted:
            return .cancellation
        case .cannotStart, .spoolFailed, .timedOut(_, byDeadline: true):
            return .permanent
        case .rejected(let rejection):
            return ErrorClassification(.rejected, retryAfter: rejection.retryAfter)
        case .exited, .signaled, .timedOut:
            if interruption.signal != nil { return .cancellation }
            if configuration.retries(outcome) { return .transient }
            return outcome.succeeded ? nil : .permanent
        }
    }

    /// One attempt: gates, the command under its time limit, gates again.
    private func runAttempt(_ attempt: Int, standardInput: InputSpool?, runStart: ClockType.Instant) async -> AttemptOutcome {
        let started = clock.now
        func outcome(_ termination: AttemptOutcome.Termination, output: Spool = Spool([])) -> AttemptOutcome {
            makeOutcome(attempt, termination, runStart: runStart, started: started, output: output)
        }
        if let signal = interruption.signal { return outcome(.interrupted(signal: signal)) }
        for (index, gate) in gates.enumerated() {
            guard let rejection = await gate.admit(attempt: attempt) else { continue }
            // The gates that admitted the attempt learn that it did not run (a breaker returns its permit).
            let rejected = outcome(.rejected(rejection))
            for admitting in gates[..<index] { await admitting.record(rejected) }
            return rejected
        }
        let result = await runAdmittedAttempt(attempt, standardInput: standardInput, runStart: runStart, started: started)
        for gate in gates { await gate.record(result) }
        return result
    }

    /// The outcome of attempt `attempt`, which started at `started`, ending now.
    private func makeOutcome(
        _ attempt: Int,
        _ termination: AttemptOutcome.Termination,
        runStart: ClockType.Instant,
        started: ClockType.Instant,
        output: Spool
    ) -> AttemptOutcome {
        AttemptOutcome(
            attempt: attempt,
            termination: termination,
            startOffset: runStart.duration(to: started),
            duration: started.duration(to: clock.now),
            standardOutput: output
        )
    }

    /// The command of an admitted attempt, under its time limit.
    private func runAdmittedAttempt(
        _ attempt: Int,
        standardInput: InputSpool?,
        runStart: ClockType.Instant,
        started: ClockType.Instant
    ) async -> AttemptOutcome {
        func outcome(_ termination: AttemptOutcome.Termination, output: Spool = Spool([])) -> AttemptOutcome {
            makeOutcome(attempt, termination, runStart: runStart, started: started, output: output)
        }

        var limit = configuration.attemptTimeout
        var limitIsDeadline = false
        if let deadline = configuration.deadline {
            let left = deadline - runStart.duration(to: started)
            if limit.map({ left < $0 }) ?? true {
                limit = max(left, .zero)
                limitIsDeadline = true
            }
        }

        let child: RunningChild
        do {
            child = try ChildProcess.launch(
                configuration.command,
                standardInput: configuration.replaysStandardInput ? standardInput : nil,
                outputLimit: configuration.spoolLimit,
                killGrace: configuration.killGrace
            )
        } catch {
            return outcome(.cannotStart(errno: error.errno))
        }
        interruption.track(child)
        let (termination, timedOut) = await supervise(child, limit: limit)
        interruption.untrack()

        if let failure = termination.spoolFailure {
            return outcome(.spoolFailed(failure))
        }
        if timedOut, let limit {
            return outcome(.timedOut(limit: limit, byDeadline: limitIsDeadline), output: termination.standardOutput)
        }
        switch termination.status {
        case .exited(let code): return outcome(.exited(code: code), output: termination.standardOutput)
        case .signaled(let signal): return outcome(.signaled(signal: signal), output: termination.standardOutput)
        }
    }

    private enum SupervisionEvent: Sendable {
        case terminated(ChildTermination)
        case limitReached
        case killed
        case cancelled
    }

    /// Waits for `child`, killing its process group if it runs past `limit`.
    ///
    /// - Returns: How the child ended, and whether the limit was reached first.
    private func supervise(_ child: RunningChild, limit: Duration?) async -> (ChildTermination, timedOut: Bool) {
        guard let limit else { return (await child.waitForTermination(), false) }
        return await withTaskGroup(of: SupervisionEvent.self) { group in
            group.addTask { .terminated(await child.waitForTermination()) }
            group.addTask { [clock] in
                do {
                    try await clock.sleep(until: clock.now.advanced(by: limit), tolerance: nil)
                    return .limitReached
                } catch {
                    return .cancelled
                }
            }
            var timedOut = false
            var termination: ChildTermination?
            var killing = false
            while let event = await group.next() {
                switch event {
                case .terminated(let ended):
                    termination = ended
                    if !killing { group.cancelAll() }
                case .limitReached:
                    timedOut = true
                    killing = true
                    group.addTask { await terminateGroup(of: child) }
                case .killed:
                    killing = false
                case .cancelled:
                    // The run was interrupted and the signal forwarded to the attempt's group. Since a
                    // limit was set, it still bounds the wait: after the grace period, kill what is left
                    // (a command that ignores the signal would otherwise hold the run up indefinitely).
                    if termination == nil, !killing {
                        killing = true
                        group.addTask { [self] in
                            // Outside this (cancelled) task, so that the grace period is not cut short.
                            await Task { await self.killGroup(of: child, afterGraceFrom: clock.now) }.value
                        }
                    }
                }
                if let termination, !killing { return (termination, timedOut) }
            }
            return (termination ?? ChildTermination(status: .signaled(SIGKILL), standardOutput: Spool([])), timedOut)
        }
    }

    /// `SIGTERM` to the whole process group, then `SIGKILL` to whatever is left after the grace period
    /// (at once if the caller is cancelled meanwhile).
    private func terminateGroup(of child: RunningChild) async -> SupervisionEvent {
        child.signalGroup(SIGTERM)
        return await killGroup(of: child, afterGraceFrom: clock.now)
    }

    /// `SIGKILL` to whatever is left of the process group once the grace period from `start` is over
    /// (at once if the caller is cancelled meanwhile).
    private func killGroup(of child: RunningChild, afterGraceFrom start: ClockType.Instant) async -> SupervisionEvent {
        let graceEnd = start.advanced(by: configuration.killGrace)
        while child.groupExists {
            let now = clock.now
            if now >= graceEnd {
                child.signalGroup(SIGKILL)
                break
            }
            do {
                try await clock.sleep(until: min(now.advanced(by: .milliseconds(10)), graceEnd), tolerance: nil)
            } catch {
                child.signalGroup(SIGKILL)
                break
            }
        }
        return .killed
    }

    private func writeSummary(_ summary: RunSummary) {
        guard let destination = configuration.summaryDestination else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(summary) else { return }
        switch destination {
        case .standardError:
            diagnostics.write(Array(data) + [UInt8(ascii: "\n")])
        case .file(let path):
            do {
                try (data + Data("\n".utf8)).write(to: URL(fileURLWithPath: path))
            } catch {
                diagnostics.write("resilience: cannot write the JSON summary to \"\(path)\": \(error.localizedDescription)\n")
            }
        }
    }
}
