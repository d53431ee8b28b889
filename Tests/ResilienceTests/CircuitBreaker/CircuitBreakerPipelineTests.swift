import Resilience
import ResilienceTestKit
import Testing

@Suite("Circuit breakers and fallbacks in pipelines", .timeLimit(.minutes(5)))
struct CircuitBreakerPipelineTests {
    @Test("the receipt pipeline: fallback outermost, retry outside the breaker; events carry the pipeline's name")
    func receiptPipeline() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let pipelineEvents = RecordingObserver()
        let breakerEvents = RecordingObserver()
        let ocrBreaker = try makeBreaker(name: "ocr", failures: 3, breakSeconds: 60, clock: clock, observer: breakerEvents)
        let policy = try RetryPolicy(
            maxAttempts: 3, backoff: .constant(.seconds(1)), jitter: .none, retryableCategories: [.connectionFailure])
        let pipeline = ResiliencePipeline(name: "receipts", observer: pipelineEvents) {
            Fallback<String>(name: "local-ocr") { _ in "local text" }
            Retry(policy, name: "ocr-retry", clock: clock)
            ocrBreaker
        }
        #expect(
            pipeline.description
                == "receipts: fallback(local-ocr) → retry(ocr-retry: 3 attempts, constant(1.0 s), jitter none) → circuit-breaker(ocr)")

        let down = ScriptedOperation<String>([.fail(CategorizedError.connection)])
        // Three failed attempts open the breaker; the retry loop gives up and the error goes through
        // (the fallback handles rejections only).
        await #expect(throws: CategorizedError.connection) { try await pipeline.execute { try await down() } }
        // Now rejected at once: no retry, and the fallback answers.
        #expect(try await pipeline.execute { try await down() } == "local text")
        #expect(down.callCount == 3)

        // The breaker in the pipeline is a view of the shared breaker: one circuit for every caller.
        #expect(ocrBreaker.state == .open)
        await #expect(throws: CircuitOpenError.self) { try await ocrBreaker.execute { "direct" } }

        #expect(pipelineEvents.circuitTransitions == [change(.closed, .open, .consecutiveFailures)])
        #expect(pipelineEvents.fallbackReasons.map(\.classification.category) == [.rejected])
        let stamped = pipelineEvents.events.filter {
            if case .circuitStateChanged = $0.kind { return true }
            return false
        }
        #expect(stamped.map(\.description) == ["receipts/ocr: circuit closed -> open (consecutiveFailures)"])
        // The breaker's own observer hears about both the pipeline's calls and the direct one.
        #expect(breakerEvents.circuitTransitions == [change(.closed, .open, .consecutiveFailures)])
        #expect(breakerEvents.rejectedStates == [.open, .open])
        #expect(pipelineEvents.rejectedStates == [.open])
    }

    @Test("in a pipeline, a fallback makes the pipeline typed by its value")
    func fallbackResultType() async throws {
        let pipeline = ResiliencePipeline(name: "p") {
            Fallback<String>(handling: [.timeout]) { _ in "fallback" }
            Retry(.default, clock: ManualClock(advancesAutomatically: true))
        }
        #expect(try await pipeline.execute { () async throws -> String in throw CategorizedError.timeout } == "fallback")
        // A call of another result type does not compile: see the compile-failure tests.
        let typed: any TypedResilienceStrategy<String> = pipeline
        #expect(
            typed.description == "p: fallback → retry(retry: 3 attempts, exponential(1.0 s × 2.0, max 60.0 s), jitter proportional(0.5))")
    }
}
