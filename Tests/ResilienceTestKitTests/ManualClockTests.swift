import Resilience
import ResilienceTestKit
import Testing

@Suite("Manual clock", .timeLimit(.minutes(5)))
struct ManualClockTests {
    @Test("time moves only when advanced")
    func advancing() {
        let clock = ManualClock()
        #expect(clock.now.offset == .zero)
        clock.advance(by: .seconds(3))
        #expect(clock.now.offset == .seconds(3))
        clock.advance(by: .seconds(-1))
        clock.advance(to: ManualClock.Instant(offset: .seconds(1)))
        #expect(clock.now.offset == .seconds(3))
    }

    @Test("sleepers wake when their deadline is reached, not before")
    func wakesAtDeadline() async throws {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(for: .seconds(5)) }
        await clock.waitForSleepers()
        #expect(clock.sleeperCount == 1)
        #expect(clock.pendingDeadlines == [ManualClock.Instant(offset: .seconds(5))])
        clock.advance(by: .seconds(4))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .seconds(1))
        try await sleeper.value
        #expect(clock.sleeperCount == 0)
        #expect(clock.requestedSleeps == [.seconds(5)])
    }

    @Test("sleepers wake in deadline order, ties in the order they started sleeping")
    func wakeOrder() async throws {
        let clock = ManualClock()
        let order = WakeLog()
        for (index, (name, seconds)) in [("c", 3), ("a", 1), ("b", 2)].enumerated() {
            Task {
                try await clock.sleep(for: .seconds(seconds))
                order.append(name)
            }
            await clock.waitForSleepers(count: index + 1)
        }
        #expect(clock.pendingDeadlines.map(\.offset) == [1, 2, 3].map(Duration.seconds))
        for expected in 1...3 {
            clock.advanceToNextDeadline()
            await order.waitForCount(expected)
        }
        #expect(order.names == ["a", "b", "c"])
        #expect(clock.advanceToNextDeadline() == nil)
    }

    @Test("a cancelled sleeper wakes at once with CancellationError")
    func cancellation() async {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(for: .seconds(60)) }
        await clock.waitForSleepers()
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.sleeperCount == 0)
        #expect(clock.now.offset == .zero)
    }

    @Test("an already-cancelled task does not sleep")
    func alreadyCancelled() async {
        let clock = ManualClock()
        let sleeper = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await clock.sleep(for: .seconds(60))
        }
        await #expect(throws: CancellationError.self) { try await sleeper.value }
    }

    @Test("an auto-advancing clock returns from every sleep at once, moving time to the deadline")
    func autoAdvance() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        try await clock.sleep(for: .seconds(2))
        try await clock.sleep(for: .milliseconds(500))
        #expect(clock.now.offset == .milliseconds(2500))
        #expect(clock.requestedSleeps == [.seconds(2), .milliseconds(500)])
    }

    @Test("a deadline in the past returns at once")
    func pastDeadline() async throws {
        let clock = ManualClock()
        clock.advance(by: .seconds(5))
        try await clock.sleep(until: ManualClock.Instant(offset: .seconds(1)))
        #expect(clock.sleeperCount == 0)
    }
}

/// Names in the order tasks woke, and a way to wait for a count without sleeping.
final class WakeLog: Sendable {
    private let state = AnnotatedMutex<(names: [String], waiters: [(Int, CheckedContinuation<Void, Never>)])>(([], []))

    var names: [String] { state.withLock { $0.names } }
    var count: Int { state.withLock { $0.names.count } }

    func append(_ name: String) {
        let ready = state.withLock { state in
            state.names.append(name)
            let ready = state.waiters.filter { $0.0 <= state.names.count }
            state.waiters.removeAll { $0.0 <= state.names.count }
            return ready.map(\.1)
        }
        ready.forEach { $0.resume() }
    }

    func waitForCount(_ count: Int) async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                if state.names.count >= count { return true }
                state.waiters.append((count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }
}

@Suite("Manual clock stepping", .timeLimit(.minutes(5)))
struct ManualClockSteppingTests {
    @Test("advance(toSleeperDeadline:) waits for a sleeper with that deadline, then moves time to it")
    func stepToDeadline() async throws {
        let clock = ManualClock()
        let woke = WakeLog()
        Task {
            try await clock.sleep(for: .seconds(3))
            woke.append("first")
            try await clock.sleep(for: .seconds(2))  // registers only after the first wake-up
            woke.append("second")
        }
        await clock.advance(toSleeperDeadline: .init(offset: .seconds(3)))
        await clock.advance(toSleeperDeadline: .init(offset: .seconds(5)))
        await woke.waitForCount(2)
        #expect(woke.names == ["first", "second"])
        #expect(clock.now.offset == .seconds(5))
    }
}
