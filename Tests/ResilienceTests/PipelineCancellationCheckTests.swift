import Resilience
import ResilienceTestKit
import Testing

/// A pipeline checks for cancellation once, at its outermost strategy; the strategies that an
/// enclosing one starts right after its check rely on it. These pin that a caller already cancelled
/// still gets `CancellationError` and the operation never runs, whatever the pipeline's shape.
@Suite("Pipelines check cancellation once", .timeLimit(.minutes(5)))
struct PipelineCancellationCheckTests {
    /// Runs `pipeline` from a task that is cancelled before the call.
    func callCancelled<Pipeline: ResilienceStrategy>(_ pipeline: Pipeline, ran: Counter) async {
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await pipeline.execute { () async throws -> Int in
                ran.increment()
                return 1
            }
        }
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test("a caller already cancelled gets CancellationError from any shape of pipeline; the operation never runs")
    func preCancelledCaller() async throws {
        let clock = ManualClock()
        let breaker = CircuitBreaker(name: "b", clock: clock)
        let ran = Counter()
        await callCancelled(
            ResiliencePipeline {
                Retry(.default, clock: clock)
                breaker
            },
            ran: ran
        )
        await callCancelled(
            ResiliencePipeline {
                Timeout(.seconds(30), clock: clock)
                Retry(.default, clock: clock)
                breaker
                Timeout(.seconds(5), clock: clock)
            },
            ran: ran
        )
        await callCancelled(
            ResiliencePipeline {
                breaker
                Retry(.default, clock: clock)
            },
            ran: ran
        )
        let erased = AnyResilienceStrategy(
            ResiliencePipeline {
                Retry(.default, clock: clock)
                breaker
            }
        )
        await callCancelled(erased, ran: ran)
        #expect(ran.value == 0)
        // The breaker a pipeline shares still checks on its own.
        await callCancelled(breaker, ran: ran)
        #expect(ran.value == 0)
        #expect(breaker.snapshot().rejectedCalls == 0)
    }

    @Test("a typed pipeline with a fallback outermost: a cancelled caller gets CancellationError, not the fallback")
    func preCancelledTypedCaller() async throws {
        let clock = ManualClock()
        let ran = Counter()
        let pipeline = ResiliencePipeline {
            Fallback(returning: -1)
            Retry(.default, clock: clock)
            CircuitBreaker(name: "b", clock: clock)
        }
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await pipeline.execute { () async throws -> Int in
                ran.increment()
                return 1
            }
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(ran.value == 0)
    }

    @Test("behind a strategy of the caller's, which may suspend or cancel, the inner strategies check again")
    func customStrategyInBetween() async throws {
        let clock = ManualClock()
        let ran = Counter()
        let pipeline = ResiliencePipeline {
            Retry(.default, clock: clock)
            CancelsThenRuns()
            CircuitBreaker(name: "b", clock: clock)
        }
        await #expect(throws: CancellationError.self) {
            try await Task {
                try await pipeline.execute { () async throws -> Int in
                    ran.increment()
                    return 1
                }
            }.value
        }
        #expect(ran.value == 0)
    }
}

/// A strategy of the caller's that cancels its task, then runs the operation.
private struct CancelsThenRuns: ResilienceStrategy {
    var description: String { "cancels-then-runs" }

    nonisolated(nonsending) func execute<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        withUnsafeCurrentTask { $0?.cancel() }
        return try await operation()
    }
}
