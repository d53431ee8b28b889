import Resilience
import ResilienceTestKit
import Testing

/// A manual clock (advancing on its own at every sleep) that counts how often its time is read.
final class CountingClock: Clock, Sendable {
    typealias Instant = ManualClock.Instant

    private let base = ManualClock(advancesAutomatically: true)
    private let readCount = AnnotatedMutex(0)

    var now: Instant {
        readCount.withLock { $0 += 1 }
        return base.now
    }

    var minimumResolution: Duration { base.minimumResolution }

    func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try await base.sleep(until: deadline, tolerance: tolerance)
    }

    /// How many times ``now`` was read.
    var reads: Int { readCount.withLock { $0 } }

    /// Moves time forward without reading it.
    func advance(by duration: Duration) { base.advance(by: duration) }
}

@Suite("Attempt durations", .timeLimit(.minutes(1)))
struct AttemptDurationTests {
    func policy(attempts: Int = 3, delay: Duration = .seconds(1)) throws -> RetryPolicy {
        try RetryPolicy(maxAttempts: attempts, backoff: .constant(delay), jitter: .none, retryableCategories: [.timeout])
    }

    @Test("a retry with an observer times each attempt on its clock, failed, rejected and successful")
    func durations() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let ocrRetry = Retry(try policy(), clock: clock, observer: recorder)
        let outcomes = ScriptedOperation<Int>([.fail(CategorizedError.timeout), .succeed(503), .succeed(200)])
        let durations: [Duration] = [.milliseconds(250), .milliseconds(400), .milliseconds(75)]
        let calls = Counter()
        let status = try await ocrRetry.execute(retryingWhen: { $0 == 503 }) { () async throws -> Int in
            clock.advance(by: durations[calls.value])
            calls.increment()
            return try await outcomes()
        }
        #expect(status == 200)
        #expect(recorder.kinds == [.attemptFailed, .retryScheduled, .resultRejected, .retryScheduled, .attemptSucceeded])
        #expect(recorder.events.compactMap(\.duration) == durations)
        // The waits between attempts are not part of them.
        #expect(clock.now == .init(offset: .milliseconds(725) + .seconds(2)))
    }

    @Test("the retry function times attempts too, and a statistics observer sums them")
    func statistics() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let statistics = ResilienceStatistics()
        let flaky = ScriptedOperation(failures: 2, with: CategorizedError.timeout, thenReturning: "text")
        _ = try await retry(try policy(), clock: clock, observer: statistics) { () async throws -> String in
            clock.advance(by: .milliseconds(300))
            return try await flaky()
        }
        let counted = try #require(statistics.snapshot().strategy(named: "retry"))
        #expect(counted.timedAttempts == 3 && counted.attemptTime == .milliseconds(900))
        #expect(counted.meanAttemptTime == .milliseconds(300))
    }

    @Test("without an observer, a retry never reads its clock to time attempts")
    func noClockReadWithoutObserver() async throws {
        let clock = CountingClock()
        let flaky = ScriptedOperation(failures: 2, with: CategorizedError.timeout, thenReturning: "text")
        _ = try await Retry(try policy(delay: .zero), clock: clock).execute { try await flaky() }
        #expect(flaky.callCount == 3)
        #expect(clock.reads == 0)
    }

    @Test("with an observer, a retry reads its clock twice an attempt, and no more")
    func clockReadsWithObserver() async throws {
        let clock = CountingClock()
        let flaky = ScriptedOperation(failures: 2, with: CategorizedError.timeout, thenReturning: "text")
        _ = try await Retry(try policy(delay: .zero), clock: clock, observer: RecordingObserver()).execute { try await flaky() }
        #expect(clock.reads == 6)
    }

    @Test("a success on the first attempt without an observer reads no clock, with nonzero delays too")
    func firstAttemptSuccess() async throws {
        let clock = CountingClock()
        _ = try await Retry(try policy(delay: .seconds(5)), clock: clock).execute { 1 }
        #expect(clock.reads == 0)
    }
}
