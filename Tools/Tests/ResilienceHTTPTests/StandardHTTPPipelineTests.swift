import HTTPTypes
import Resilience
import ResilienceHTTP
import ResilienceTestKit
import Testing

@Suite("The standard HTTP pipeline")
struct StandardHTTPPipelineTests {
    @Test("The standard values: Microsoft.Extensions.Http.Resilience's standard handler")
    func standardValues() throws {
        let options = StandardHTTPPipelineOptions.standard
        #expect(options.totalTimeout == .seconds(30))
        #expect(options.attemptTimeout == .seconds(10))
        #expect(options.maximumCircuitBreakers == 1_000)
        #expect(options.idempotency == .default)
        #expect(try StandardHTTPPipelineOptions() == options)
        try options.validate()

        let retry = options.retry
        #expect(retry == .standardHTTP)
        #expect(retry.maxAttempts == 4)  // 3 retries
        #expect(retry.backoff == .exponential(initial: .seconds(2), multiplier: 2, maxDelay: .seconds(30)))
        #expect(retry.jitter == .symmetric(0.25))
        #expect(retry.maxElapsedTime == .seconds(30))
        #expect(retry.retryableCategories == ErrorCategory.allTransient.union([.rateLimited]))
        try retry.validate()

        let breaker = options.circuitBreaker
        #expect(breaker == .standardHTTP)
        #expect(breaker.failureRateThreshold == 0.1)
        #expect(breaker.minimumThroughput == 100)
        #expect(breaker.slidingWindow == .time(.seconds(30), buckets: 10))
        #expect(breaker.breakDuration == .constant(.seconds(5)))
        #expect(breaker.consecutiveFailureThreshold == nil)
        #expect(breaker.failureCategories == ErrorCategory.allTransient.union([.rateLimited]))
        try breaker.validate()
    }

    @Test("Its structure, outer to inner: rate limiter, total timeout, retry, breaker per authority, attempt timeout")
    func structure() throws {
        let clock = ManualClock()
        let pipeline = try StandardHTTPPipeline(name: "llm", clock: clock, rateLimiter: Announcing())
        #expect(pipeline.strategyDescriptions.count == 5)
        #expect(pipeline.strategyDescriptions[0] == "announcing")
        #expect(pipeline.strategyDescriptions[1] == "llm-total-timeout(30.0 s)")
        #expect(pipeline.strategyDescriptions[2].hasPrefix("llm-retry(4 attempts, exponential(2.0 s × 2.0, max 30.0 s)"))
        #expect(pipeline.strategyDescriptions[3].hasPrefix("llm-breaker(per authority, at most 1000: opens at failure rate 0.1"))
        #expect(pipeline.strategyDescriptions[4] == "llm-attempt-timeout(10.0 s)")
        #expect(pipeline.description.hasPrefix("llm: announcing → llm-total-timeout(30.0 s) → llm-retry("))
        #expect(pipeline.totalTimeout?.duration == .seconds(30))
        #expect(pipeline.attemptTimeout?.duration == .seconds(10))
        #expect(pipeline.retry.retry.policy == .standardHTTP)
        #expect(pipeline.retry.retry.name == "llm-retry")
        #expect(pipeline.retry.idempotency == .default)
        #expect(pipeline.circuitBreakers.maximumCount == 1_000)
        #expect(pipeline.circuitBreakers.configuration == .standardHTTP)
        #expect(pipeline.rateLimiter != nil)
        // Without a limiter given, the standard handler's: 1 000 calls at once, none queued.
        let standard = try StandardHTTPPipeline(clock: clock)
        #expect(standard.options.concurrencyLimit == .concurrentCalls(1_000))
        #expect(standard.strategyDescriptions.first == "concurrency-limiter(http-limiter: 1000 at once)")
        #expect(standard.strategyDescriptions.count == 5)
        let unlimited = try StandardHTTPPipeline(options: .standard.with { $0.concurrencyLimit = nil }, clock: clock)
        #expect(unlimited.rateLimiter == nil && unlimited.strategyDescriptions.count == 4)
        #expect {
            try StandardHTTPPipelineOptions.standard.with { $0.concurrencyLimit?.maxConcurrentCalls = 0 }
        } throws: { ($0 as? ConfigurationError)?.field == "concurrencyLimit.maxConcurrentCalls" }
    }

    @Test("Timeouts can be left out")
    func noTimeouts() throws {
        let options = try StandardHTTPPipelineOptions.standard.with {
            $0.totalTimeout = nil
            $0.attemptTimeout = nil
        }
        let pipeline = try StandardHTTPPipeline(options: options, clock: ManualClock())
        #expect(pipeline.totalTimeout == nil)
        #expect(pipeline.attemptTimeout == nil)
        #expect(pipeline.strategyDescriptions.count == 3)  // the limiter, the retry, the breakers
    }

    @Test(
        "Invalid options are a ConfigurationError naming the field",
        arguments: [
            InvalidOptions("totalTimeout") { $0.totalTimeout = .zero },
            InvalidOptions("attemptTimeout") { $0.attemptTimeout = .seconds(-1) },
            InvalidOptions("totalTimeout") { $0.totalTimeout = .seconds(10) },  // not longer than the attempt timeout
            InvalidOptions("retry.maxAttempts") { $0.retry.maxAttempts = 0 },
            InvalidOptions("retry.jitter.fraction") { $0.retry.jitter = .symmetric(2) },
            InvalidOptions("circuitBreaker.failureRateThreshold") { $0.circuitBreaker.failureRateThreshold = 1.5 },
            InvalidOptions("circuitBreaker.slidingWindow") { $0.circuitBreaker.slidingWindow = .time(.seconds(15)) },
            InvalidOptions("circuitBreaker.minimumThroughput") { $0.circuitBreaker.minimumThroughput = 0 },
            InvalidOptions("maximumCircuitBreakers") { $0.maximumCircuitBreakers = 0 },
        ]
    )
    func validation(invalid: InvalidOptions) throws {
        let error = try #require(throws: ConfigurationError.self) { try StandardHTTPPipelineOptions.standard.with(invalid.change) }
        #expect(error.field == invalid.field)
        var options = StandardHTTPPipelineOptions.standard
        invalid.change(&options)
        let fromPipeline = try #require(throws: ConfigurationError.self) {
            try StandardHTTPPipeline(options: options, clock: ManualClock())
        }
        #expect(fromPipeline.field == invalid.field)
    }

    @Test("A 503 is retried after the jittered 2 s, then the 200 returned; the call's end is reported")
    func retriesThrough() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let pipeline = try StandardHTTPPipeline(
            name: "api", clock: clock, classifier: HTTPResponseClassifier(wallClock: fixedNow), random: .seeded(42), observer: recorder
        )
        let server = script(response(503), response(200))
        let result = try await pipeline.execute(request()) { _ in try await server() }
        #expect(result.status == .ok)
        #expect(clock.requestedSleeps.count == 1)
        #expect(clock.requestedSleeps.allSatisfy { $0 >= .milliseconds(1_500) && $0 <= .milliseconds(2_500) })
        #expect(recorder.kinds == [.resultRejected, .retryScheduled, .attemptSucceeded, .callCompleted])
        #expect(recorder.events.allSatisfy { $0.pipeline == "api" })
        #expect(recorder.events.last?.strategy == "api")
    }

    @Test("A 429's Retry-After is honoured through the whole pipeline")
    func hintThrough() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let pipeline = try StandardHTTPPipeline(clock: clock, classifier: HTTPResponseClassifier(wallClock: fixedNow), random: .seeded(1))
        let server = script(response(429, [("Retry-After", "12")]), response(200))
        _ = try await pipeline.execute(request()) { _ in try await server() }
        #expect(clock.requestedSleeps == [.seconds(12)])
    }

    @Test("A POST is sent once and the refusal reported")
    func postNotRetried() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let pipeline = try StandardHTTPPipeline(clock: clock, observer: recorder)
        let server = script(response(502), response(200))
        let result = try await pipeline.execute(request(.post)) { _ in try await server() }
        #expect(result.status == .badGateway)
        #expect(server.callCount == 1)
        #expect(recorder.stopReasons == [.notIdempotent])
    }

    @Test("One host's breaker opens; another host's calls go on")
    func breakerPerAuthority() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let options = try StandardHTTPPipelineOptions.standard.with {
            $0.circuitBreaker = .consecutiveFailures(3, breakDuration: .seconds(5))
            $0.retry.maxAttempts = 3
        }
        let pipeline = try StandardHTTPPipeline(options: options, clock: clock, random: .seeded(7))
        let failing = script(response(500), response(500), response(500), response(200))
        let last = try await pipeline.execute(request(authority: "down.example.com")) { _ in try await failing() }
        #expect(last.status == .internalServerError)
        let down = HTTPAuthority(scheme: "https", host: "down.example.com")
        #expect(pipeline.circuitBreakers.breaker(for: down).state == .open)
        await #expect(throws: CircuitOpenError.self) {
            try await pipeline.execute(request(authority: "down.example.com")) { _ in response(200) }
        }
        let up = try await pipeline.execute(request(authority: "up.example.com")) { _ in response(200) }
        #expect(up.status == .ok)
        #expect(failing.callCount == 3)
    }

    @Test("The rate limiter slot is outermost: its refusal is thrown before anything runs, and it joins the pipeline")
    func rateLimiterSlot() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let refusing = try StandardHTTPPipeline(name: "api", clock: clock, rateLimiter: Refusing(), observer: recorder)
        let server = script(response(200))
        await #expect(throws: LimitExceededError.self) { try await refusing.execute(request()) { _ in try await server() } }
        #expect(server.callCount == 0)
        #expect(recorder.kinds == [.callCompleted])

        recorder.removeAll()
        let announcing = try StandardHTTPPipeline(name: "api", clock: clock, rateLimiter: Announcing(), observer: recorder)
        _ = try await announcing.execute(request()) { _ in response(200) }
        #expect(recorder.kinds == [.faultInjected, .attemptSucceeded, .callCompleted])
        #expect(recorder.events.first?.pipeline == "api")
    }

    @Test("Each attempt has its own limit: a slow attempt times out, counts with the breaker, and is retried")
    func attemptTimeout() async throws {
        let clock = ManualClock()
        let recorder = RecordingObserver()
        let options = try StandardHTTPPipelineOptions.standard.with { $0.retry.jitter = .none }
        let pipeline = try StandardHTTPPipeline(options: options, clock: clock, observer: recorder)
        let call = Task {
            try await pipeline.execute(request()) { _ in
                try await clock.sleep(for: .seconds(60))
                return response(200)
            }
        }
        await clock.advance(toSleeperDeadline: ManualClock.Instant(offset: .seconds(10)))  // the attempt's limit
        await clock.advance(toSleeperDeadline: ManualClock.Instant(offset: .seconds(12)))  // the retry's 2 s wait
        #expect(recorder.events(.timedOut).map(\.strategy) == ["http-attempt-timeout"])
        #expect(recorder.events(.retryScheduled).map(\.classification) == [.timeout])
        #expect(recorder.scheduledDelays == [.seconds(2)])
        let breaker = pipeline.circuitBreakers.breaker(for: HTTPAuthority(request()))
        #expect(breaker.snapshot().failures == 1)
        call.cancel()
        _ = try? await call.value
    }

    @Test("A call's own observer hears every strategy for that call only")
    func perCallObserver() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let callObserver = RecordingObserver()
        let pipeline = try StandardHTTPPipeline(
            options: StandardHTTPPipelineOptions.standard.with { $0.circuitBreaker = .consecutiveFailures(1, breakDuration: .seconds(60)) },
            clock: clock
        )
        let server = script(response(503))
        _ = try await pipeline.execute(request(.post), options: HTTPCallOptions(observer: callObserver)) { _ in try await server() }
        #expect(callObserver.kinds.contains(.circuitStateChanged))
        #expect(callObserver.stopReasons == [.notIdempotent])
        #expect(callObserver.kinds.last == .callCompleted)
        #expect(callObserver.events.allSatisfy { $0.pipeline == "http" })
        _ = try? await pipeline.execute(request()) { _ in response(200) }
        #expect(callObserver.kinds.last == .callCompleted)
        #expect(callObserver.events(.callCompleted).count == 1)
    }

    @Test("A caller already cancelled gets CancellationError and nothing is sent")
    func cancelledCaller() async throws {
        let pipeline = try StandardHTTPPipeline(clock: ManualClock(advancesAutomatically: true))
        let server = script(response(200))
        let call = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await pipeline.execute(request()) { _ in try await server() }
        }
        await #expect(throws: CancellationError.self) { try await call.value }
        #expect(server.callCount == 0)
    }
}

/// A limiter that refuses every call.
struct Refusing: ResilienceStrategy {
    nonisolated(nonsending) func execute<Result>(_ operation: nonisolated(nonsending) () async throws -> Result) async throws -> Result {
        throw LimitExceededError(limiterName: "refusing", reason: .rateExceeded, retryAfter: nil)
    }

    var description: String { "refusing" }
}

/// A strategy that reports each call it runs.
struct Announcing: ResilienceStrategy, ObservedStrategy {
    var observer: (any ResilienceObserver)?

    nonisolated(nonsending) func execute<Result>(_ operation: nonisolated(nonsending) () async throws -> Result) async throws -> Result {
        observer?.observe(.faultInjected(strategy: "announcing", fault: "none"))
        return try await operation()
    }

    var description: String { "announcing" }
}

/// A change that makes the standard options invalid, and the field the error must name.
struct InvalidOptions: Sendable, CustomTestStringConvertible {
    let field: String
    let change: @Sendable (inout StandardHTTPPipelineOptions) -> Void

    init(_ field: String, change: @escaping @Sendable (inout StandardHTTPPipelineOptions) -> Void) {
        self.field = field
        self.change = change
    }

    var testDescription: String { field }
}
