import Resilience
import ResilienceTestKit

/// What the attempts of a hedged call did, shared with operations running in child tasks: when each
/// started (on the test's clock), which ended cancelled, and how many are running now.
final class AttemptLog: Sendable {
    private struct State {
        var starts: [Int: Duration] = [:]
        var cancelled: Set<Int> = []
        var live = 0
        var maxLive = 0
        var contexts: [Int: HedgingAttempt?] = [:]
    }

    private let state = AnnotatedMutex(State())

    /// The start offsets of every attempt, in attempt order.
    var starts: [Duration] { state.withLock { $0.starts.sorted { $0.key < $1.key }.map(\.value) } }
    /// The numbers of the attempts that saw their cancellation.
    var cancelled: Set<Int> { state.withLock { $0.cancelled } }
    /// How many attempts are running now.
    var live: Int { state.withLock { $0.live } }
    /// The most attempts that ran at once.
    var maxLive: Int { state.withLock { $0.maxLive } }
    /// What `HedgingAttempt.current` said inside each attempt.
    var contexts: [Int: HedgingAttempt?] { state.withLock { $0.contexts } }

    /// Runs one attempt: records its start, sleeps `duration` on `clock` (recording a cancellation),
    /// then returns `value` or throws `error`; in the caller's isolation, so that an attempt that does
    /// not sleep finishes without suspending.
    nonisolated(nonsending) func attempt<Value>(
        _ number: Int,
        on clock: ManualClock,
        sleeping duration: Duration?,
        then outcome: Result<Value, any Error>
    ) async throws -> Value {
        state.withLock { state in
            state.starts[number] = clock.now.offset
            state.contexts[number] = HedgingAttempt.current
            state.live += 1
            state.maxLive = max(state.maxLive, state.live)
        }
        defer { state.withLock { $0.live -= 1 } }
        if let duration {
            do {
                try await clock.sleep(for: duration)
            } catch {
                state.withLock { _ = $0.cancelled.insert(number) }
                throw error
            }
        }
        return try outcome.get()
    }
}

/// One attempt's script: how long it takes and how it ends.
struct AttemptScript: Sendable {
    var duration: Duration?
    var outcome: Result<String, any Error>

    static func reply(after duration: Duration?, _ value: String) -> AttemptScript {
        AttemptScript(duration: duration, outcome: .success(value))
    }

    static func fail(after duration: Duration?, _ error: any Error) -> AttemptScript {
        AttemptScript(duration: duration, outcome: .failure(error))
    }

    /// An attempt that never answers before it is cancelled.
    static let hang = AttemptScript(duration: .seconds(1_000), outcome: .success("too late"))
}

extension AttemptLog {
    /// Runs attempt `attempt` as `scripts` says (the last script for attempts beyond the list).
    nonisolated(nonsending) func run(_ attempt: HedgingAttempt, _ scripts: [AttemptScript], on clock: ManualClock) async throws -> String {
        let script = scripts[min(attempt.number, scripts.count) - 1]
        return try await self.attempt(attempt.number, on: clock, sleeping: script.duration, then: script.outcome)
    }
}

extension ManualClock.Instant {
    /// The instant `seconds` after the clock's start.
    static func at(_ seconds: Double) -> ManualClock.Instant {
        ManualClock.Instant(offset: .milliseconds(Int64((seconds * 1_000).rounded())))
    }
}

/// Yields until `condition` holds: for a step the code under test takes on another thread without
/// touching the clock (a refusal by a budget, an event).
func yieldUntil(_ condition: () -> Bool) async {
    while !condition() { await Task.yield() }
}
