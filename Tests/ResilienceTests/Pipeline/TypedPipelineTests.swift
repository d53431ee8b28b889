import Resilience
import ResilienceTestKit
import Testing

/// A value type for typed pipelines.
enum Analysis: Equatable, Sendable {
    case detected(String)
    case skipped
}

@Suite("Typed pipelines and erased strategies", .timeLimit(.minutes(5)))
struct TypedPipelineTests {
    let clock = ManualClock(advancesAutomatically: true)

    func breaker(failures: Int = 1) throws -> CircuitBreaker<ManualClock> {
        try makeBreaker(failures: failures, breakSeconds: 60, clock: clock)
    }

    @Test("a pipeline with a fallback is typed by its value and falls back on a rejection")
    func typedFallback() async throws {
        let vision = try breaker()
        vision.isolate()
        let pipeline = ResiliencePipeline(name: "vision") {
            Fallback(returning: Analysis.skipped)
            Retry(.rateLimit, clock: clock)
            vision
        }
        let typed: any TypedResilienceStrategy<Analysis> = pipeline
        #expect(try await typed.execute { .detected("receipt") } == .skipped)
        #expect(pipeline.description.hasPrefix("vision: fallback → retry("))
    }

    @Test("typed strategies may sit anywhere in the pipeline, and keep their order")
    func typedInside() async throws {
        let recorder = RecordingObserver()
        let pipeline = ResiliencePipeline(name: "p", observer: recorder) {
            Timeout(.seconds(10), clock: clock)
            Fallback<String>(name: "inner-fallback", handling: [.timeout]) { _ in "fallback" }
            Retry(.default, clock: clock)
        }
        // The retry (inside the fallback) retries the timeouts; when it gives up the fallback answers.
        #expect(try await pipeline.execute { () async throws -> String in throw CategorizedError.timeout } == "fallback")
        #expect(recorder.kinds.filter { $0 == .retryScheduled }.count == 2)
        #expect(recorder.fallbackReasons.count == 1)
        #expect(recorder.events(.fallbackUsed).first?.pipeline == "p")
    }

    @Test("two fallbacks of the same value nest; the inner one answers first")
    func twoFallbacks() async throws {
        let pipeline = ResiliencePipeline(name: "p") {
            Fallback<String>(name: "outer", handling: [.permanent]) { _ in "outer" }
            Fallback<String>(name: "inner", handling: [.timeout]) { _ in throw CategorizedError.permanent }
        }
        #expect(try await pipeline.execute { () async throws -> String in throw CategorizedError.timeout } == "outer")
    }

    @Test("an if in the builder keeps a typed pipeline typed")
    func conditionalTyped() async throws {
        for withRetry in [true, false] {
            let pipeline = ResiliencePipeline {
                Fallback(returning: 0)
                if withRetry {
                    Retry(.default, clock: clock)
                }
            }
            #expect(try await pipeline.execute { () async throws -> Int in throw CategorizedError(category: .rejected) } == 0)
        }
    }

    @Test("an untyped pipeline stays usable for any result type")
    func untyped() async throws {
        let pipeline = try ResiliencePipeline {
            Retry(.default, clock: clock)
            try breaker(failures: 5)
        }
        #expect(try await pipeline.execute { 1 } == 1)
        #expect(try await pipeline.execute { "one" } == "one")
        #expect(try await pipeline.execute { Analysis.skipped } == .skipped)
    }

    @Test("erased strategies run what they wrap, describe it, and nest in other pipelines")
    func erased() async throws {
        let recorder = RecordingObserver()
        let flaky = ScriptedOperation(failures: 1, with: CategorizedError.timeout, thenReturning: "ok")
        let erased = AnyResilienceStrategy(ResiliencePipeline(name: "inner") { Retry(.default, clock: clock) })
        #expect(try await erased.execute { try await flaky() } == "ok")
        #expect(erased.description.hasPrefix("inner: retry("))
        #expect(AnyResilienceStrategy(erased).description == erased.description)

        // As a member of a pipeline, it joins it: its events reach the outer pipeline's observer.
        let outer = ResiliencePipeline(name: "outer", observer: recorder) { erased }
        #expect(try await outer.execute { 2 } == 2)
        #expect(recorder.events.map(\.pipeline) == ["outer", "outer"])
        #expect(recorder.kinds == [.attemptSucceeded, .callCompleted])

        let typed = AnyTypedResilienceStrategy<Analysis>(
            ResiliencePipeline { Fallback(returning: Analysis.skipped) }
        )
        #expect(try await typed.execute { () async throws -> Analysis in throw CategorizedError(category: .rejected) } == .skipped)
        // An untyped strategy can be stored as a typed one too.
        let adapted = AnyTypedResilienceStrategy<Int>(Retry(.default, clock: clock))
        #expect(try await adapted.execute { 3 } == 3)
    }

    @Test("a service can keep its pipelines in properties of types it can name")
    func storedInProperties() async throws {
        struct ReceiptService {
            let ocr: AnyTypedResilienceStrategy<String>
            let http: AnyResilienceStrategy
        }
        let service = ReceiptService(
            ocr: AnyTypedResilienceStrategy(
                try ResiliencePipeline(name: "ocr") {
                    Fallback { _ in "local OCR" }
                    Retry(.aggressive, clock: clock)
                    try breaker()
                }),
            http: AnyResilienceStrategy(ResiliencePipeline(name: "http") { Retry(.default, clock: clock) })
        )
        #expect(try await service.ocr.execute { () async throws -> String in throw CategorizedError.connection } == "local OCR")
        #expect(try await service.http.execute { 200 } == 200)
    }

    @Test("result classification in a typed pipeline: retries and breaker both see rejected results")
    func classifiedResults() async throws {
        struct Response: Equatable { var status: Int }
        let breaker = try breaker(failures: 3)
        let pipeline = try ResiliencePipeline(name: "http") {
            Retry(try RetryPolicy(maxAttempts: 3, backoff: .constant(.seconds(1)), jitter: .none), clock: clock)
                .classifyingResults { (response: Response) in response.status == 503 ? .transient : nil }
            breaker.classifyingResults { (response: Response) in response.status >= 500 ? .transient : nil }
        }
        let responses = ScriptedOperation([.succeed(Response(status: 503)), .succeed(Response(status: 200))])
        // This policy retries timeouts and connection failures only, so a 503 counts (for the breaker)
        // but is not retried: it is returned as is.
        #expect(try await pipeline.execute { try await responses() } == Response(status: 503))
        #expect(responses.callCount == 1)
        #expect(breaker.snapshot().failures == 1)

        let retrying = ResiliencePipeline(name: "http") {
            Retry(.adaptive, clock: clock).classifyingResults { (response: Response) in
                response.status == 503 ? .transient : nil
            }
        }
        let again = ScriptedOperation([.succeed(Response(status: 503)), .succeed(Response(status: 200))])
        #expect(try await retrying.execute { try await again() } == Response(status: 200))
        #expect(again.callCount == 2)
    }
}
