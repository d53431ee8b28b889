import Dispatch
import Resilience
import ResilienceTestKit
import Testing

@Suite("Timeouts", .timeLimit(.minutes(5)))
struct TimeoutTests {
    @Test("an operation that outlives the limit is cancelled and a TimeoutError thrown")
    func expiry() async throws {
        let clock = ManualClock()
        let recorder = RecordingObserver()
        let timeout = Timeout(.seconds(5), name: "ocr-timeout", clock: clock, observer: recorder)
        let cancelled = ScriptedOperation(failures: 0, with: UnknownError(), thenReturning: true)
        let call = Task {
            try await timeout.execute { () async throws -> Int in
                do {
                    try await clock.sleep(for: .seconds(10))
                } catch {
                    _ = try await cancelled()  // counts that the operation saw its cancellation
                    throw error
                }
                return 1
            }
        }
        await clock.advance(toSleeperDeadline: .init(offset: .seconds(5)))  // the timer; the operation sleeps until 10 s
        await #expect(throws: TimeoutError(timeout: .seconds(5))) { try await call.value }
        #expect(cancelled.callCount == 1)
        #expect(clock.sleeperCount == 0)  // nothing left running
        #expect(clock.now.offset == .seconds(5))
        #expect(recorder.events.map(\.description) == ["ocr-timeout: timed out after 5.0 s"])
    }

    @Test("an operation that finishes in time returns its value, and the timer is gone")
    func inTime() async throws {
        let clock = ManualClock()
        let timeout = Timeout(.seconds(5), clock: clock)
        let call = Task {
            try await timeout.execute { () async throws -> String in
                try await clock.sleep(for: .seconds(2))
                return "done"
            }
        }
        await clock.advance(toSleeperDeadline: .init(offset: .seconds(2)))
        #expect(try await call.value == "done")
        #expect(clock.sleeperCount == 0)
    }

    @Test("the operation's own error comes through unchanged")
    func ownError() async throws {
        let timeout = Timeout(.seconds(5), clock: ManualClock())
        let original = IdentifiableError(.permanent)
        do {
            _ = try await timeout.execute { () async throws -> Int in throw original }
            Issue.record("expected a throw")
        } catch let error as IdentifiableError {
            #expect(error === original)
        }
    }

    @Test("cancelling the caller cancels the operation and rethrows its error, not a timeout")
    func callerCancellation() async throws {
        let clock = ManualClock()
        let timeout = Timeout(.seconds(5), clock: clock)
        let call = Task {
            try await timeout.execute { () async throws -> Int in
                try await clock.sleep(for: .seconds(10))
                return 1
            }
        }
        await clock.waitForSleepers(count: 2)
        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        #expect(clock.sleeperCount == 0)
        #expect(clock.now.offset == .zero)
    }

    @Test("the operation keeps the caller's isolation")
    @MainActor
    func callerIsolation() async throws {
        final class Counter { var value = 0 }
        let counter = Counter()
        let timeout = Timeout(.seconds(5), clock: ManualClock())
        let value = try await timeout.execute { () async throws -> Int in
            MainActor.assertIsolated()
            await Task.yield()
            MainActor.assertIsolated()  // still after a suspension
            counter.value += 1
            return counter.value
        }
        #expect(value == 1)
    }

    @Test(
        "a limit that is not positive, or over 292 years, is rejected by name",
        arguments: [Duration.zero, .seconds(-1), .seconds(Int64.max)]
    )
    func invalid(limit: Duration) {
        #expect {
            try Timeout(limit, clock: ManualClock()).validate()
        } throws: { error in
            (error as? ConfigurationError)?.field == "timeout"
        }
    }

    @Test("a limit that is not positive expires at once; one beyond 292 years counts as that")
    func totalLimits() async throws {
        let clock = ManualClock()
        for limit in [Duration.zero, .seconds(-1)] {
            let timeout = Timeout(limit, clock: clock)
            await #expect(throws: TimeoutError.self) {
                try await timeout.execute { try await clock.sleep(for: .seconds(1)) }
            }
        }
        let huge = Timeout(.seconds(Int64.max), clock: clock)
        #expect(try await huge.execute { 7 } == 7)
    }

    @Test("an already-cancelled caller gets CancellationError and the operation never runs")
    func cancelledCaller() async throws {
        let timeout = Timeout(.seconds(5), clock: ManualClock())
        let ran = Counter()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await timeout.execute { ran.increment() }
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(ran.value == 0)
    }

    @Test("the operation keeps the caller's task-executor preference across suspensions")
    func executorPreference() async throws {
        let executor = QueueTaskExecutor()
        let timeout = Timeout(.seconds(5), clock: ManualClock())
        let onPreferredExecutor = try await withTaskExecutorPreference(executor) {
            try await timeout.execute { () async throws -> Bool in
                await Task.yield()
                return executor.isCurrent
            }
        }
        #expect(onPreferredExecutor)
    }

    @Test("TimeoutError is a timeout, so retries see it as retryable")
    func classifiedAsTimeout() {
        #expect(ErrorClassifier.default.classify(TimeoutError(timeout: .seconds(1))).category == .timeout)
        #expect(RetryPolicy.default.retries(.timeout))
    }
}

/// A task executor running jobs on a serial dispatch queue, and telling whether code runs there.
final class QueueTaskExecutor: TaskExecutor, @unchecked Sendable {
    // `@unchecked`: the queue and key are immutable and dispatch queues are thread-safe.
    private let queue = DispatchQueue(label: "test-task-executor")
    private let key = DispatchSpecificKey<Bool>()

    init() {
        queue.setSpecific(key: key, value: true)
    }

    var isCurrent: Bool { DispatchQueue.getSpecific(key: key) == true }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
