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

/// The engine of `resilience run`, in process: real `sh` commands, waits on virtual time.
@Suite("The command runner", .timeLimit(.minutes(5)))
struct CommandRunnerTests {
    let scratch: Scratch

    init() throws {
        scratch = try Scratch()
    }

    /// `sh -c script`, run in the scratch directory.
    func command(_ script: String) -> [String] {
        ["sh", "-c", "cd '\(scratch.url.path)' && \(script)"]
    }

    func runner(
        _ configuration: RunConfiguration,
        clock: ManualClock = ManualClock(advancesAutomatically: true),
        random: RandomSource = .seeded(42),
        interruption: Interruption = Interruption(),
        gates: [any AttemptGate] = []
    ) -> (CommandRunner<ManualClock>, output: CapturingSink, diagnostics: CapturingSink) {
        let output = CapturingSink()
        let diagnostics = CapturingSink()
        let runner = CommandRunner(
            configuration: configuration,
            clock: clock,
            random: random,
            interruption: interruption,
            gates: gates,
            output: output,
            diagnostics: diagnostics
        )
        return (runner, output, diagnostics)
    }

    @Test("the waits are the library's retry loop's: the default preset's delays for seed 42, on virtual time")
    func waitsComeFromTheLibrary() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let configuration = RunConfiguration(command: command(countingScript(exiting: [1])), policy: try PolicyArguments().makePolicy())
        let (runner, _, diagnostics) = runner(configuration, clock: clock)
        let summary = await runner.run(standardInput: nil)
        // The same delays as `retry(.default, random: .seeded(42))` in the library's own tests.
        #expect(clock.requestedSleeps == [.nanoseconds(1_370_782_439), .nanoseconds(2_159_910_392)])
        #expect(summary.attempts == 3)
        #expect(summary.exitStatus == 1)
        #expect(summary.stopReason == .attemptsExhausted)
        #expect(summary.history.map(\.delayAfterSeconds) == [1.370782, 2.15991, nil])
        #expect(diagnostics.text.contains("resilience: attempt 1/3 failed: exit status 1; retrying in 1.37s\n"))
        #expect(diagnostics.text.contains("resilience: attempt 3/3 failed: exit status 1; no attempts left\n"))
    }

    @Test("the final attempt's standard output goes to the output sink, earlier ones to diagnostics")
    func outputRouting() async throws {
        let script = countingScript(exiting: [1, 0], extra: "echo \"out $n\";")
        let configuration = RunConfiguration(command: command(script), policy: try PolicyArguments().makePolicy())
        let (runner, output, diagnostics) = runner(configuration)
        let summary = await runner.run(standardInput: nil)
        #expect(summary.exitStatus == 0)
        #expect(output.text == "out 2\n")
        #expect(diagnostics.text.hasPrefix("out 1\nresilience: attempt 1/3 failed"))
    }

    @Test("a gate is asked before every attempt and told every outcome; its refusal stops the run without starting the command")
    func gates() async throws {
        let gate = RecordingGate(rejecting: 2)
        let configuration = RunConfiguration(command: command(countingScript(exiting: [1])), policy: try PolicyArguments().makePolicy())
        let (runner, _, diagnostics) = runner(configuration, gates: [gate])
        let summary = await runner.run(standardInput: nil)
        #expect(gate.admitted == [1, 2])
        #expect(gate.recorded == [.exited(code: 1)])
        #expect(scratch.read("count") == "1\n")
        #expect(summary.stopReason == .rejected)
        #expect(summary.exitStatus == 75)
        #expect(summary.history.map(\.outcome) == ["exited", "rejected"])
        #expect(diagnostics.text.contains("attempt 2/3 rejected: circuit open; no further attempts"))
    }

    @Test("a gate learns the outcome of every attempt it admitted: a failure to start, or a later gate's refusal")
    func gatesAlwaysLearnTheOutcome() async throws {
        let admitting = RecordingGate(rejecting: 0)
        let notFound = RunConfiguration(command: ["no-such-command-\(UUID().uuidString)"], policy: try PolicyArguments().makePolicy())
        _ = await runner(notFound, gates: [admitting]).0.run(standardInput: nil)
        #expect(admitting.recorded == [.cannotStart(errno: ENOENT)])

        let first = RecordingGate(rejecting: 0)
        let second = RecordingGate(rejecting: 1)
        let configuration = RunConfiguration(command: command(countingScript(exiting: [0])), policy: try PolicyArguments().makePolicy())
        let summary = await runner(configuration, gates: [first, second]).0.run(standardInput: nil)
        #expect(summary.stopReason == .rejected)
        #expect(first.recorded == [.rejected(AttemptRejection(reason: "circuit open"))])
        #expect(second.recorded.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: scratch.path("count")))
    }

    @Test("an interruption before the first attempt starts nothing and exits 128+N")
    func interruptedBeforeStart() async throws {
        let interruption = Interruption()
        interruption.interrupt(by: SIGTERM)
        let configuration = RunConfiguration(command: command(countingScript(exiting: [0])), policy: try PolicyArguments().makePolicy())
        let (runner, _, _) = runner(configuration, interruption: interruption)
        let summary = await runner.run(standardInput: nil)
        #expect(summary.exitStatus == 128 + SIGTERM)
        #expect(summary.stopReason == .interrupted)
        // No attempt started, so none is in the history.
        #expect(summary.history.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: scratch.path("count")))
    }

    @Test("an interruption during a wait ends the run at once, without another attempt")
    func interruptedWhileWaiting() async throws {
        let clock = ManualClock()
        let interruption = Interruption()
        let configuration = RunConfiguration(command: command(countingScript(exiting: [1])), policy: try PolicyArguments().makePolicy())
        let (runner, _, diagnostics) = runner(configuration, clock: clock, interruption: interruption)
        let run = Task { await runner.run(standardInput: nil) }
        await clock.waitForSleepers()
        interruption.interrupt(by: SIGINT)
        let summary = await run.value
        #expect(summary.exitStatus == 128 + SIGINT)
        #expect(summary.stopReason == .interrupted)
        #expect(summary.attempts == 1)
        #expect(scratch.read("count") == "1\n")
        #expect(diagnostics.text.contains("interrupted by SIGINT while waiting; no further attempts"))
    }

    @Test("standard input is replayed to every attempt")
    func replay() async throws {
        let script = countingScript(exiting: [1, 1, 0], extra: "cat > seen.$n;")
        let configuration = RunConfiguration(command: command(script), policy: try PolicyArguments().makePolicy())
        let (runner, _, _) = runner(configuration)
        _ = await runner.run(standardInput: InputSpool(Array("replayed\n".utf8)))
        #expect((1...3).map { scratch.read("seen.\($0)") } == ["replayed\n", "replayed\n", "replayed\n"])
    }
}

/// A gate that refuses one attempt and records what it is told.
final class RecordingGate: AttemptGate {
    private let state = LockedState<(admitted: [Int], recorded: [AttemptOutcome.Termination])>(([], []))
    let rejecting: Int

    init(rejecting: Int) {
        self.rejecting = rejecting
    }

    var admitted: [Int] { state.withLock { $0.admitted } }
    var recorded: [AttemptOutcome.Termination] { state.withLock { $0.recorded } }

    func admit(attempt: Int) async -> AttemptRejection? {
        state.withLock { $0.admitted.append(attempt) }
        return attempt == rejecting ? AttemptRejection(reason: "circuit open") : nil
    }

    func record(_ outcome: AttemptOutcome) async {
        state.withLock { $0.recorded.append(outcome.termination) }
    }
}
