import InMemoryTracing
import Resilience
import ResilienceTestKit
import ResilienceTracing
import Testing
import Tracing

/// An error whose message must never become an attribute.
struct SecretError: Error, ClassifiableError, CustomStringConvertible {
    var category: ErrorCategory = .timeout
    var resilienceClassification: ErrorClassification { ErrorClassification(category) }
    var description: String { "token sk-live-123 rejected by https://api.example.com" }
}

let secretErrorType = String(reflecting: SecretError.self)

extension SpanAttributes {
    /// The attributes as `key=value` strings, sorted, for comparisons.
    var rendered: [String] {
        var lines: [String] = []
        forEach { key, value in
            switch value {
            case .string(let string): lines.append("\(key)=\(string)")
            case .int64(let integer): lines.append("\(key)=\(integer)")
            case .double(let double): lines.append("\(key)=\(double)")
            default: lines.append("\(key)=\(value)")
            }
        }
        return lines.sorted()
    }
}

/// Runs `body` in a span named `caller` of a fresh in-memory tracer, bound to the task.
func inCallerSpan<Result>(
    _ tracer: InMemoryTracer = InMemoryTracer(),
    _ body: () async throws -> Result
) async rethrows -> (InMemoryTracer, Result) {
    let result = try await withTracer(tracer) {
        try await withSpan("caller") { _ in try await body() }
    }
    return (tracer, result)
}

@Suite("Tracing observer: events of the caller's span")
struct TracingObserverTests {
    @Test("a scheduled retry is an event of the caller's span with the failed attempt's number, the delay and the category")
    func retryEvents() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let policy = try RetryPolicy(
            maxAttempts: 3, backoff: .constant(.milliseconds(1500)), jitter: .none, retryableCategories: [.timeout])
        let pipeline = ResiliencePipeline(name: "ocr", observer: TracingObserver(), clock: clock) {
            Retry(policy, name: "ocr-retry", clock: clock)
        }
        let operation = ScriptedOperation(failures: 2, with: SecretError(), thenReturning: 9)
        let (tracer, value) = try await inCallerSpan { try await pipeline.execute { try await operation() } }
        #expect(value == 9)
        let span = try #require(tracer.finishedSpans.first)
        #expect(tracer.finishedSpans.count == 1)
        #expect(span.events.map(\.name) == ["resilience.retryScheduled", "resilience.retryScheduled"])
        #expect(
            span.events.first?.attributes.rendered == [
                "resilience.attempt=1", "resilience.category=timeout", "resilience.delay_seconds=1.5",
                "resilience.error_type=\(secretErrorType)", "resilience.event=retryScheduled", "resilience.pipeline=ocr",
                "resilience.strategy=ocr-retry",
            ])
        #expect(span.events.last?.attributes.get("resilience.attempt") == .int64(2))
    }

    @Test("time-outs, rejections, fallbacks, hedges, limiter and budget refusals, and the end of retrying are events too")
    func otherEvents() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let observer = TracingObserver()
        let breaker = CircuitBreaker(name: "vision", configuration: .consecutiveFailures(1, breakDuration: .seconds(30)), clock: clock)
        let pipeline = try ResiliencePipeline(name: "vision", observer: observer, clock: clock) {
            Fallback<Int>(name: "vision-fallback") { _ in 0 }
            Retry(try RetryPolicy(maxAttempts: 1), name: "vision-retry", clock: clock)
            breaker
            Timeout(.seconds(5), name: "vision-timeout", clock: clock)
        }
        let stalled = ManualClock()  // never advanced: the operation waits until the time-out cancels it
        let (tracer, _) = try await inCallerSpan {
            _ = try? await pipeline.execute { () async throws -> Int in
                try await stalled.sleep(for: .seconds(10))
                return 1
            }
            _ = try await pipeline.execute { 2 }  // rejected by the open breaker; the fallback answers
            observer.observe(.hedgeStarted(strategy: "hedging", attempt: 2, delay: .milliseconds(200)))
            observer.observe(.limitExceeded(strategy: "limiter", reason: .queueFull, retryAfter: nil))
            observer.observe(.retryBudgetRefused(strategy: "retry", budget: "ocr-budget", attempt: 3))
        }
        let events = try #require(tracer.finishedSpans.first).events
        try #require(events.count == 9)
        #expect(
            events.map(\.name) == [
                "resilience.timedOut", "resilience.circuitStateChanged", "resilience.retriesEnded",
                "resilience.callRejected", "resilience.retriesEnded", "resilience.fallbackUsed",
                "resilience.hedgeStarted", "resilience.limitExceeded", "resilience.retryBudgetRefused",
            ])
        #expect(events[0].attributes.get("resilience.timeout_seconds") == .double(5))
        #expect(events[1].attributes.get("resilience.to_state") == .string("open"))
        #expect(events[2].attributes.get("resilience.stop_reason") == .string("attemptsExhausted"))
        #expect(events[3].attributes.get("resilience.state") == .string("open"))
        #expect(events[5].attributes.get("resilience.category") == .string("rejected"))
        #expect(events[6].attributes.get("resilience.attempt") == .int64(2))
        #expect(events[6].attributes.get("resilience.delay_seconds") == .double(0.2))
        #expect(events[7].attributes.get("resilience.limit_reason") == .string("queueFull"))
        #expect(events[8].attributes.get("resilience.budget") == .string("ocr-budget"))
    }

    @Test("no error message, and nothing unbounded, becomes an attribute")
    func boundedAttributes() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let retry = Retry(
            try RetryPolicy(maxAttempts: 2, retryableCategories: [.timeout]), clock: clock,
            observer: TracingObserver(recordsAttemptOutcomes: true))
        let (tracer, _) = await inCallerSpan {
            _ = try? await retry.execute { () async throws -> Int in throw SecretError() }
        }
        let attributes = try #require(tracer.finishedSpans.first).events.flatMap { $0.attributes.rendered }
        #expect(!attributes.isEmpty)
        #expect(!attributes.contains { $0.contains("sk-live") || $0.contains("https://") })
    }

    @Test("successes and the end of a call add nothing; attempt outcomes only when asked")
    func quietSuccessPath() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        func run(_ observer: TracingObserver) async throws -> [String] {
            let pipeline = try ResiliencePipeline(name: "p", observer: observer, clock: clock) {
                Retry(try RetryPolicy(maxAttempts: 2, backoff: .constant(.seconds(1)), jitter: .none), name: "r", clock: clock)
            }
            let operation = ScriptedOperation(failures: 1, with: SecretError(), thenReturning: 1)
            let (tracer, _) = try await inCallerSpan { try await pipeline.execute { try await operation() } }
            return try #require(tracer.finishedSpans.first).events.map(\.name)
        }
        #expect(try await run(TracingObserver()) == ["resilience.retryScheduled"])
        #expect(
            try await run(TracingObserver(recordsAttemptOutcomes: true)) == [
                "resilience.attemptFailed", "resilience.retryScheduled", "resilience.attemptSucceeded",
            ])
    }

    @Test("without a span in the task, events go nowhere; with the given tracer, they go to its span only")
    func whichTracer() async throws {
        let tracer = InMemoryTracer()
        let observer = TracingObserver(tracer: tracer)
        let event = ResilienceEvent.timedOut(strategy: "t", after: .seconds(1))
        observer.observe(event)  // no ServiceContext: nothing to add to
        #expect(tracer.activeSpans.isEmpty && tracer.finishedSpans.isEmpty)

        let other = InMemoryTracer()
        let span = tracer.startSpan("given")
        ServiceContext.$current.withValue(span.context) {
            withTracer(other) { observer.observe(event) }  // the given tracer wins over the task's
        }
        span.end()
        #expect(tracer.finishedSpans.first?.events.map(\.name) == ["resilience.timedOut"])
        #expect(other.finishedSpans.isEmpty)
    }
}
