import Foundation
import Resilience
import ResilienceTestKit
import Testing

@testable import ResilienceCommands

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A wall clock the test sets by hand.
final class SettableWallClock: Sendable {
    private let instant = LockedState(wall(0))

    func set(_ seconds: Double) {
        instant.withLock { $0 = wall(seconds) }
    }

    var reading: @Sendable () -> WallClock.Instant {
        { [self] in instant.withLock { $0 } }
    }
}

@Suite("The --breaker gate, in process", .timeLimit(.minutes(5)))
struct BreakerGateTests {
    let scratch: Scratch
    let clock = SettableWallClock()
    let diagnostics = CapturingSink()

    init() throws {
        scratch = try Scratch()
    }

    func gate(
        failures: Int = 2,
        resets: Bool = false,
        run: RunConfiguration = RunConfiguration(command: ["true"], policy: .default),
        interruption: Interruption = Interruption()
    ) throws -> BreakerGate {
        let configuration = try CircuitBreakerConfiguration(consecutiveFailureThreshold: failures, breakDuration: .constant(.seconds(60)))
        return BreakerGate(
            settings: BreakerSettings(path: scratch.path("breaker.json"), configuration: configuration, resets: resets),
            run: run,
            interruption: interruption,
            diagnostics: diagnostics,
            now: clock.reading
        )
    }

    func outcome(_ termination: AttemptOutcome.Termination) -> AttemptOutcome {
        AttemptOutcome(attempt: 1, termination: termination)
    }

    /// Admits and records one attempt ending with `termination`; the rejection if it was refused.
    @discardableResult
    func attempt(_ gate: BreakerGate, _ termination: AttemptOutcome.Termination) async -> AttemptRejection? {
        if let rejection = await gate.admit(attempt: 1) { return rejection }
        await gate.record(outcome(termination))
        return nil
    }

    var state: BreakerState? { get throws { try BreakerFile(path: scratch.path("breaker.json")).load() } }

    @Test(
        "attempts the run would retry are failures, successes successes, and the rest count neither way",
        arguments: [
            (AttemptOutcome.Termination.exited(code: 0), [String](), false, CircuitBreakerOutcome.success),
            (.exited(code: 1), [], false, .failure),
            (.signaled(signal: SIGKILL), [], false, .failure),
            (.timedOut(limit: .seconds(1), byDeadline: false), [], false, .failure),
            (.timedOut(limit: .seconds(1), byDeadline: true), [], false, .failure),
            (.cannotStart(errno: ENOENT), [], false, .ignored),
            (.rejected(AttemptRejection(reason: "other gate")), [], false, .ignored),
            (.interrupted(signal: SIGINT), [], false, .ignored),
            (.exited(code: 1), [], true, .ignored),
            (.signaled(signal: SIGTERM), [], true, .ignored),
            (.exited(code: 0), [], true, .ignored),
            (.exited(code: 2), ["--stop-on", "2"], false, .ignored),
            (.exited(code: 1), ["--retry-on", "75"], false, .ignored),
            (.exited(code: 75), ["--retry-on", "75"], false, .failure),
            (.timedOut(limit: .seconds(1), byDeadline: false), ["--stop-on", "timeout"], false, .ignored),
            (.signaled(signal: SIGKILL), ["--stop-on", "signal"], false, .ignored),
        ]
    )
    func outcomeClassification(
        termination: AttemptOutcome.Termination,
        options: [String],
        interrupted: Bool,
        expected: CircuitBreakerOutcome
    ) throws {
        let run = try RunOptions.parse(options + ["--", "true"]).configuration()
        #expect(BreakerGate.breakerOutcome(of: outcome(termination), in: run, interrupted: interrupted) == expected)
    }

    @Test("failures in a row open it; an open breaker refuses, naming the file, the state and when a run may probe")
    func tripsAndRefuses() async throws {
        let gate = try gate(failures: 3)
        try await gate.prepare()
        #expect(try state?.machine.state == .closed)
        for second in 0..<3 {
            clock.set(Double(second))
            #expect(await attempt(gate, .exited(code: 1)) == nil)
        }
        #expect(try state?.machine.state == .open)
        #expect(
            diagnostics.text.contains(
                "resilience: circuit breaker \"\(scratch.path("breaker.json"))\" opened after 3 failed attempts in a row; "
                    + "runs are refused until 2025-05-01T12:01:02Z (in 1m)"))

        clock.set(12)
        let rejection = try #require(await gate.admit(attempt: 1))
        #expect(rejection.exitStatus == 75)
        #expect(rejection.retryAfter == .seconds(50))
        #expect(
            rejection.reason
                == "circuit breaker \"\(scratch.path("breaker.json"))\" is open: not running the command; "
                + "a run may probe in 50s (at 2025-05-01T12:01:02Z)")
    }

    @Test("after the break one run probes; its success closes the breaker, its failure opens it again")
    func probes() async throws {
        let gate = try gate()
        await attempt(gate, .exited(code: 1))
        await attempt(gate, .exited(code: 1))
        clock.set(60)
        #expect(await gate.admit(attempt: 1) == nil)
        #expect(diagnostics.text.contains("is half-open: this run probes"))
        // Meanwhile, another invocation is refused.
        let other = try self.gate()
        let refused = try #require(await other.admit(attempt: 1))
        #expect(refused.reason.contains("is half-open and another run is probing: not running the command"))
        await gate.record(outcome(.exited(code: 1)))
        #expect(diagnostics.text.contains("opened again: the probe failed; runs are refused until 2025-05-01T12:02:00Z (in 1m)"))
        #expect(try state?.machine.state == .open)

        clock.set(120)
        #expect(await attempt(gate, .exited(code: 0)) == nil)
        #expect(diagnostics.text.contains("closed: the probe succeeded"))
        #expect(try state?.machine.state == .closed)
    }

    @Test("a success between failures starts the count again; outcomes that count neither way leave it")
    func successResetsCount() async throws {
        let gate = try gate(failures: 2)
        await attempt(gate, .exited(code: 1))
        await attempt(gate, .exited(code: 0))
        await attempt(gate, .exited(code: 1))
        await attempt(gate, .cannotStart(errno: ENOENT))
        #expect(try state?.machine.state == .closed)
        await attempt(gate, .exited(code: 1))
        #expect(try state?.machine.state == .open)
    }

    @Test("the wall clock stepping back an hour does not keep the breaker open an hour longer")
    func clockSteppedBack() async throws {
        let gate = try gate()
        await attempt(gate, .exited(code: 1))
        await attempt(gate, .exited(code: 1))
        clock.set(-3_600)
        let rejection = try #require(await gate.admit(attempt: 1))
        #expect(rejection.retryAfter == .seconds(60))
        clock.set(-3_600 + 60)
        #expect(await gate.admit(attempt: 1) == nil)
    }

    @Test("--breaker-reset closes an open breaker, and replaces a damaged file")
    func reset() async throws {
        let gate = try gate()
        await attempt(gate, .exited(code: 1))
        await attempt(gate, .exited(code: 1))
        try await self.gate(resets: true).prepare()
        #expect(try state?.machine.state == .closed)
        #expect(diagnostics.text.contains("circuit breaker \"\(scratch.path("breaker.json"))\" reset: closed"))
        // The permit of a run in flight before the reset no longer counts.
        #expect(await gate.admit(attempt: 1) == nil)
        try await self.gate(resets: true).prepare()
        await gate.record(outcome(.exited(code: 1)))
        #expect(try state?.machine.snapshot(at: wall(0), configuration: .default).consecutiveFailures == 0)

        try scratch.write("breaker.json", "damaged")
        await #expect(throws: BreakerStoreError.self) { try await self.gate().prepare() }
        try await self.gate(resets: true).prepare()
        #expect(try state?.machine.state == .closed)
    }

    @Test("a file damaged during a run refuses the next attempt with status 65, reported even with --quiet")
    func damagedDuringRun() async throws {
        let quiet = RunConfiguration(command: ["true"], policy: .default, quiet: true)
        let gate = try gate(run: quiet)
        try await gate.prepare()
        #expect(await gate.admit(attempt: 1) == nil)
        try scratch.write("breaker.json", "damaged")
        await gate.record(outcome(.exited(code: 1)))
        #expect(diagnostics.text.contains("resilience: could not record the attempt's outcome: the circuit breaker state file"))
        let rejection = try #require(await gate.admit(attempt: 2))
        #expect(rejection.exitStatus == 65)
        #expect(diagnostics.text.contains("is damaged: it is not valid JSON; delete it, or run with --breaker-reset"))
    }

    @Test("a file deleted during a run is a reset: the outcome in flight is dropped, and the next attempt starts afresh")
    func deletedDuringRun() async throws {
        let gate = try gate(failures: 1)
        #expect(await gate.admit(attempt: 1) == nil)
        try FileManager.default.removeItem(atPath: scratch.path("breaker.json"))
        await gate.record(outcome(.exited(code: 1)))
        #expect(try state == nil)
        #expect(await gate.admit(attempt: 2) == nil)
        #expect(try state?.machine.state == .closed)
    }

    @Test("in a run, every attempt goes through the breaker: a refusal ends the run with 75 and the summary says why")
    func inRun() async throws {
        let run = try RunOptions.parse([
            "--attempts", "5", "--base", "0", "--", "sh", "-c", "cd '\(scratch.url.path)' && echo x >> runs && exit 1",
        ]).configuration()
        let gate = try gate(failures: 3, run: run)
        let runner = CommandRunner(
            configuration: run,
            clock: ManualClock(advancesAutomatically: true),
            gates: [gate],
            output: CapturingSink(),
            diagnostics: diagnostics
        )
        let summary = await runner.run(standardInput: nil)
        #expect(scratch.lines("runs").count == 3)
        #expect(summary.exitStatus == 75)
        #expect(summary.stopReason == .rejected)
        #expect(summary.history.map(\.outcome) == ["exited", "exited", "exited", "rejected"])
        let rejected = try #require(summary.history.last)
        #expect(rejected.rejection?.contains("is open: not running the command; a run may probe in 1m") == true)
        #expect(rejected.retryAfterSeconds == 60)
        #expect(diagnostics.text.contains("resilience: attempt 4/5 rejected: circuit breaker"))
    }
}
