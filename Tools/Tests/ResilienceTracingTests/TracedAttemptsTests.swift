import InMemoryTracing
import Resilience
import ResilienceTestKit
import ResilienceTracing
import Synchronization
import Testing
import Tracing

@Suite("Traced attempts: a span per attempt")
struct TracedAttemptsTests {
    private let policy: RetryPolicy

    init() throws {
        policy = try RetryPolicy(maxAttempts: 3, backoff: .constant(.seconds(1)), jitter: .none, retryableCategories: [.timeout])
    }

    @Test("each attempt is a child of the caller's span, numbered from 1, with a resend count on retries only")
    func attemptSpans() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let retry = Retry(policy, name: "ocr-retry", clock: clock).tracingAttempts("ocr attempt")
        let operation = ScriptedOperation(failures: 2, with: SecretError(), thenReturning: 5)
        let (tracer, value) = try await inCallerSpan { try await retry.execute { try await operation() } }
        #expect(value == 5)
        let spans = tracer.finishedSpans
        let caller = try #require(spans.first { $0.operationName == "caller" })
        let attempts = spans.filter { $0.operationName == "ocr attempt" }
        #expect(attempts.count == 3)
        #expect(attempts.allSatisfy { $0.parentSpanID == caller.spanID && $0.traceID == caller.traceID })
        #expect(attempts.map { $0.attributes.get("resilience.attempt") } == [.int64(1), .int64(2), .int64(3)])
        #expect(attempts.map { $0.attributes.get("resilience.resend_count") } == [nil, .int64(1), .int64(2)])
        #expect(attempts.map { $0.status?.code } == [.error, .error, nil])
        #expect(attempts[0].attributes.get("resilience.category") == .string("timeout"))
        #expect(attempts[0].attributes.get("resilience.error_type") == .string(secretErrorType))
        #expect(attempts[2].attributes.get("resilience.category") == nil)
        let rendered: [String] = attempts.flatMap { span -> [String] in span.attributes.rendered }
        #expect(!rendered.isEmpty && !rendered.contains { $0.contains("sk-live") })
    }

    @Test("the error is rethrown unchanged, and the operation runs inside its attempt's span")
    func operationInsideTheSpan() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let retry = TracedAttempts(Retry(policy, clock: clock), operationName: "attempt")
        let tracer = InMemoryTracer()
        let seen = AttemptContexts()
        await #expect(throws: SecretError.self) {
            try await withTracer(tracer) {
                try await withSpan("caller") { _ in
                    try await retry.execute { () async throws -> Int in
                        seen.record(ServiceContext.current.flatMap { tracer.activeSpan(identifiedBy: $0)?.operationName })
                        throw SecretError()
                    }
                }
            }
        }
        #expect(seen.names == ["attempt", "attempt", "attempt"])
        #expect(tracer.finishedSpans.filter { $0.operationName == "attempt" }.count == 3)
    }

    @Test("in a pipeline, the strategies inside an attempt report to its span; the retry's own events go to the caller's")
    func eventsLandWhereTheyHappen() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let breaker = CircuitBreaker(name: "db", configuration: .consecutiveFailures(1, breakDuration: .seconds(60)), clock: clock)
        let policy = try RetryPolicy(
            maxAttempts: 2, backoff: .constant(.seconds(1)), jitter: .none, retryableCategories: [.timeout, .rejected])
        let pipeline = ResiliencePipeline(name: "db", observer: TracingObserver(), clock: clock) {
            Retry(policy, name: "db-retry", clock: clock).tracingAttempts("db attempt")
            breaker
        }
        let (tracer, _) = await inCallerSpan {
            _ = try? await pipeline.execute { () async throws -> Int in throw SecretError() }
        }
        let spans = tracer.finishedSpans
        let caller = try #require(spans.first { $0.operationName == "caller" })
        let attempts = spans.filter { $0.operationName == "db attempt" }
        #expect(caller.events.map(\.name) == ["resilience.retryScheduled", "resilience.retriesEnded"])
        #expect(attempts.map { $0.events.map(\.name) } == [["resilience.circuitStateChanged"], ["resilience.callRejected"]])
        #expect(attempts[1].attributes.get("resilience.category") == .string("rejected"))
        #expect(attempts[1].attributes.get("resilience.error_type") == .string("Resilience.CircuitOpenError"))
    }

    @Test("without a span in the task, or with the no-op tracer, attempts run untraced")
    func untraced() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let tracer = InMemoryTracer()
        let traced = Retry(policy, clock: clock).tracingAttempts("attempt", tracer: tracer)
        let operation = ScriptedOperation(failures: 1, with: SecretError(), thenReturning: 1)
        #expect(try await traced.execute { try await operation() } == 1)  // no ServiceContext
        #expect(tracer.finishedSpans.isEmpty && tracer.activeSpans.isEmpty)

        let noOp = Retry(policy, clock: clock).tracingAttempts("attempt", tracer: NoOpTracer())
        let parent = tracer.startSpan("caller")
        let value = try await ServiceContext.$current.withValue(parent.context) {
            try await noOp.execute { 2 }
        }
        parent.end()
        #expect(value == 2)
        #expect(tracer.finishedSpans.map(\.operationName) == ["caller"])
    }

    @Test("it describes itself as its base, marked as traced, and joins a pipeline as its base does")
    func description() {
        let clock = ManualClock()
        let traced = Retry(.default, name: "ocr", clock: clock).tracingAttempts("ocr attempt")
        #expect(traced.description.hasPrefix("retry(ocr: "))
        #expect(traced.description.hasSuffix(" [attempts traced as \"ocr attempt\"]"))
        let recorder = RecordingObserver()
        let joined = traced.joining(PipelineContext(name: "p", observer: recorder))
        joined.base.observer?.observe(.timedOut(strategy: "x", after: .seconds(1)))
        #expect(recorder.events.map(\.pipeline) == ["p"])
    }
}

/// The span names the operation saw, in order.
final class AttemptContexts: Sendable {
    private let storage = Mutex<[String?]>([])

    func record(_ name: String?) { storage.withLock { $0.append(name) } }
    var names: [String?] { storage.withLock { $0 } }
}
