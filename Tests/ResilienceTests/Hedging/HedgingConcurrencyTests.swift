import Resilience
import ResilienceTestKit
import Synchronization
import Testing

/// Non-`Sendable` state that several hedged attempts mutate, with a check that no two attempts are
/// ever inside a critical section (between two suspension points) at the same time.
private final class Tally {
    var value = 0
    var inside = false
    var overlaps = 0
    var log: [Int] = []

    /// Mutates the state without suspending, long enough for a parallel attempt to be caught.
    func step(_ attempt: Int) {
        if inside { overlaps += 1 }
        inside = true
        for _ in 0..<50 { value += 1 }
        log.append(attempt)
        inside = false
    }
}

/// An actor of the test's own, to run hedged calls from.
private actor Replicas {
    let tally = Tally()

    func query(_ hedging: Hedging<ManualClock>, steps: Int) async throws -> Int {
        try await hedging.executeAttempts { attempt in
            try await mutate(self.tally, attempt: attempt, steps: steps)
        }
    }
}

/// Attempt `attempt` of a call: `steps` mutations, each followed by a yield; the last attempt wins,
/// the others run until they are cancelled.
private nonisolated(nonsending) func mutate(_ tally: Tally, attempt: HedgingAttempt, steps: Int) async throws -> Int {
    for step in 0..<steps {
        tally.step(attempt.number)
        if attempt.number == 4 && step == steps - 1 { return attempt.number }
        await Task.yield()
        try Task.checkCancellation()
    }
    try await Task.never()
}

extension Task where Success == Never, Failure == Never {
    /// Suspends until cancelled, then throws `CancellationError`.
    static func never() async throws -> Never {
        let clock = ManualClock()
        while true { try await clock.sleep(for: .seconds(1)) }
    }
}

@Suite("Hedging concurrency", .timeLimit(.minutes(5)))
struct HedgingConcurrencyTests {
    private let hedging = Hedging(
        HedgingPolicy.default.withoutChecks {
            $0.maxAttempts = 4
            $0.delay = .zero
        }, clock: ManualClock())

    @Test("a caller on no actor: attempts mutating captured non-Sendable state run on one serial actor, never in parallel")
    func nonisolatedCaller() async throws {
        let tally = Tally()
        for _ in 0..<50 {
            let winner = try await hedging.executeAttempts { attempt in
                try await mutate(tally, attempt: attempt, steps: 20)
            }
            #expect(winner == 4)
        }
        #expect(tally.overlaps == 0)
        #expect(tally.value == tally.log.count * 50)
        #expect(Set(tally.log) == [1, 2, 3, 4])  // the attempts did interleave
    }

    @Test("a caller on the main actor: attempts share its non-Sendable state, never in parallel")
    @MainActor
    func mainActorCaller() async throws {
        let tally = Tally()
        for _ in 0..<50 {
            let winner = try await hedging.executeAttempts { attempt in
                MainActor.assertIsolated()
                return try await mutate(tally, attempt: attempt, steps: 20)
            }
            #expect(winner == 4)
        }
        #expect(tally.overlaps == 0)
        #expect(tally.value == tally.log.count * 50)
    }

    @Test("callers on an actor of their own, many at once: attempts stay on that actor")
    func actorCallers() async throws {
        let replicas = Replicas()
        let hedging = self.hedging
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 {
                group.addTask { try await replicas.query(hedging, steps: 10) }
            }
            for try await winner in group { #expect(winner == 4) }
        }
        let (overlaps, value, steps) = await replicas.read { ($0.overlaps, $0.value, $0.log.count) }
        #expect(overlaps == 0)
        #expect(value == steps * 50)
    }

    @Test("many nonisolated callers at once, each with its own serial actor")
    func manyNonisolatedCallers() async throws {
        let hedging = self.hedging
        let overlaps = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    let tally = Tally()
                    _ = try await hedging.executeAttempts { attempt in try await mutate(tally, attempt: attempt, steps: 10) }
                    return tally.overlaps
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(overlaps == 0)
    }

    @Test("a caller on no actor: every attempt runs isolated to the same actor, made for the call")
    func privateSerialActor() async throws {
        let seen = AnnotatedMutex<[ObjectIdentifier?]>([])
        for _ in 0..<2 {
            _ = try await hedging.executeAttempts { attempt -> Int in
                let isolation = #isolation
                seen.withLock { $0.append(isolation.map { ObjectIdentifier($0) }) }
                if attempt.number < 4 { try await Task.never() }
                return attempt.number
            }
        }
        let identities = seen.withLock { $0 }
        #expect(identities.count == 8)
        #expect(identities.allSatisfy { $0 != nil })
        #expect(Set(identities.prefix(4)).count == 1 && Set(identities.suffix(4)).count == 1)
    }

    @Test("executeConcurrently lets a Sendable operation's attempts overlap on several threads")
    func concurrentAttempts() async throws {
        final class Counts: Sendable {
            let total = Atomic(0)
            let inFlight = Atomic(0)
        }
        let counts = Counts()
        let hedging = self.hedging
        let winners = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await hedging.executeConcurrently { attempt in
                        counts.inFlight.add(1, ordering: .relaxed)
                        defer { counts.inFlight.subtract(1, ordering: .relaxed) }
                        for _ in 0..<10 {
                            counts.total.add(1, ordering: .relaxed)
                            await Task.yield()
                            try Task.checkCancellation()
                        }
                        if attempt.number < 4 { try await Task.never() }
                        return attempt.number
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(winners == Array(repeating: 4, count: 20))
        #expect(counts.inFlight.load(ordering: .relaxed) == 0)  // every loser finished before its call returned
        #expect(counts.total.load(ordering: .relaxed) >= 20 * 10)
    }
}

extension Replicas {
    /// Reads the tally on the actor.
    func read<T: Sendable>(_ body: (Tally) -> T) -> T { body(tally) }
}

extension HedgingPolicy {
    /// A copy with `changes` applied, for literal test policies known to be valid.
    func withoutChecks(_ changes: (inout HedgingPolicy) -> Void) -> HedgingPolicy {
        var copy = self
        changes(&copy)
        return copy
    }
}
