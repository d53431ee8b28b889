import Foundation
import Resilience
import Testing

@Suite("Limiter configurations")
struct LimiterConfigurationTests {
    @Test(
        "an invalid concurrency limit names its field",
        arguments: [
            (0, 0, nil, "maxConcurrentCalls"),
            (-1, 0, nil, "maxConcurrentCalls"),
            (1, -1, nil, "maxQueuedCalls"),
            (1, 0, Duration.seconds(-1), "maxWait"),
            (1, 0, Duration.seconds(Int64.max), "maxWait"),
        ] as [(Int, Int, Duration?, String)]
    )
    func invalidConcurrencyConfiguration(limit: Int, queued: Int, maxWait: Duration?, field: String) {
        let error = #expect(throws: ConfigurationError.self) {
            try ConcurrencyLimiterConfiguration(maxConcurrentCalls: limit, maxQueuedCalls: queued, maxWait: maxWait)
        }
        #expect(error?.field == field)
        #expect(error?.code == .invalidValue)
    }

    @Test("valid concurrency limits are kept as given; zero queue and zero wait are allowed")
    func validConcurrencyConfiguration() throws {
        let configuration = try ConcurrencyLimiterConfiguration(maxConcurrentCalls: 10, maxQueuedCalls: 0, maxWait: .zero)
        #expect(configuration == .concurrentCalls(10, queued: 0, maxWait: .zero))
        #expect(try configuration.with { $0.maxQueuedCalls = 5 }.maxQueuedCalls == 5)
        #expect(throws: ConfigurationError.self) { try configuration.with { $0.maxConcurrentCalls = 0 } }
        #expect(configuration.description == "10 at once")
        #expect(
            ConcurrencyLimiterConfiguration.concurrentCalls(3, queued: 4, maxWait: .seconds(2)).description
                == "3 at once, 4 queued for up to 2.0 s")
    }

    @Test("the literal-value form is total: out-of-range values act as the nearest valid one")
    func concurrentCallsIsTotal() throws {
        let clamped = ConcurrencyLimiterConfiguration.concurrentCalls(0, queued: -4, maxWait: .seconds(-1))
        #expect(clamped == (try ConcurrencyLimiterConfiguration(maxConcurrentCalls: 1, maxQueuedCalls: 0, maxWait: .zero)))
        try clamped.validate()
    }

    @Test(
        "an invalid rate limit names its field",
        arguments: [
            (RateLimiterConfiguration.Algorithm.tokenBucket(capacity: 0, tokensPerPeriod: 1, period: .seconds(1)), "algorithm.capacity"),
            (.tokenBucket(capacity: 1, tokensPerPeriod: 0, period: .seconds(1)), "algorithm.tokensPerPeriod"),
            (.tokenBucket(capacity: 1, tokensPerPeriod: 1, period: .zero), "algorithm.period"),
            (.tokenBucket(capacity: 1, tokensPerPeriod: 1, period: .seconds(Int64.max)), "algorithm.period"),
            (.slidingWindow(limit: 0, window: .seconds(1), segments: 1), "algorithm.limit"),
            (.slidingWindow(limit: 1, window: .seconds(-1), segments: 1), "algorithm.window"),
            (.slidingWindow(limit: 1, window: .seconds(1), segments: 0), "algorithm.segments"),
            (.slidingWindow(limit: 1, window: .seconds(1), segments: 1_001), "algorithm.segments"),
            (.slidingWindow(limit: 1, window: .nanoseconds(5), segments: 6), "algorithm.segments"),
        ]
    )
    func invalidRateConfiguration(algorithm: RateLimiterConfiguration.Algorithm, field: String) {
        let error = #expect(throws: ConfigurationError.self) { try RateLimiterConfiguration(algorithm: algorithm) }
        #expect(error?.field == field)
    }

    @Test("a negative or absurd maximum wait names maxWait", arguments: [Duration.seconds(-1), .seconds(Int64.max)])
    func invalidRateWait(maxWait: Duration) {
        let error = #expect(throws: ConfigurationError.self) {
            try RateLimiterConfiguration.tokenBucket(capacity: 1, tokensPerPeriod: 1, period: .seconds(1), maxWait: maxWait)
        }
        #expect(error?.field == "maxWait")
    }

    @Test("rate limits describe themselves and adjust with with(_:)")
    func rateDescriptions() throws {
        let bucket = try RateLimiterConfiguration.tokenBucket(capacity: 10, tokensPerPeriod: 5, period: .seconds(1), maxWait: .seconds(2))
        #expect(bucket.description == "token bucket of 10, 5 per 1.0 s, waiting up to 2.0 s")
        let window = try RateLimiterConfiguration.slidingWindow(limit: 100, window: .seconds(60), segments: 1)
        #expect(window.description == "sliding window of 100 per 60.0 s in 1 segment")
        #expect(try window.with { $0.maxWait = .seconds(1) }.maxWait == .seconds(1))
        #expect(throws: ConfigurationError.self) { try window.with { $0.maxWait = .seconds(-1) } }
    }

    @Test("a limiter given an unchecked rate configuration never crashes: values act as the nearest valid one")
    func uncheckedRateConfiguration() async throws {
        var configuration = try RateLimiterConfiguration.slidingWindow(limit: 1, window: .seconds(1))
        configuration.algorithm = .slidingWindow(limit: -1, window: .zero, segments: 1_000_000)
        configuration.maxWait = .seconds(-5)
        let limiter = RateLimiter(configuration: configuration, clock: ContinuousClock())
        try await limiter.execute {}
        #expect(limiter.snapshot().admittedCalls == 1)
        configuration.algorithm = .tokenBucket(capacity: 0, tokensPerPeriod: -3, period: .seconds(-1))
        let bucket = RateLimiter(configuration: configuration, clock: ContinuousClock())
        try await bucket.execute {}
        #expect(bucket.snapshot().admittedCalls == 1)
    }

    @Test("configurations round-trip through JSON")
    func jsonRoundTrip() throws {
        let concurrency: [ConcurrencyLimiterConfiguration] = [
            .concurrentCalls(10, queued: 20, maxWait: .milliseconds(1_500)), .concurrentCalls(1),
        ]
        for configuration in concurrency {
            #expect(
                try JSONDecoder().decode(ConcurrencyLimiterConfiguration.self, from: JSONEncoder().encode(configuration)) == configuration)
        }
        let rate = [
            try RateLimiterConfiguration.tokenBucket(capacity: 10, tokensPerPeriod: 5, period: .milliseconds(250), maxWait: .seconds(2)),
            try RateLimiterConfiguration.slidingWindow(limit: 100, window: .seconds(60), segments: 6),
        ]
        for configuration in rate {
            #expect(try JSONDecoder().decode(RateLimiterConfiguration.self, from: JSONEncoder().encode(configuration)) == configuration)
        }
    }

    @Test("JSON with defaults decodes to the documented values")
    func jsonDefaults() throws {
        let concurrency = try JSONDecoder().decode(ConcurrencyLimiterConfiguration.self, from: Data(#"{"maxConcurrentCalls": 4}"#.utf8))
        #expect(concurrency == .concurrentCalls(4))
        let window = try JSONDecoder().decode(
            RateLimiterConfiguration.self, from: Data(#"{"algorithm": {"type": "slidingWindow", "limit": 3, "window": 1}}"#.utf8))
        #expect(window == (try .slidingWindow(limit: 3, window: .seconds(1), segments: 10, maxWait: .zero)))
    }

    @Test(
        "bad JSON is a ConfigurationError naming the field by its path",
        arguments: [
            (#"{"maxConcurrentCalls": 0}"#, "maxConcurrentCalls"),
            (#"{"maxQueuedCalls": 3}"#, "maxConcurrentCalls"),
            (#"{"maxConcurrentCalls": 1, "maxWait": -2}"#, "maxWait"),
            (#"{"maxConcurrentCalls": 1, "queue": 2}"#, "queue"),
            (#"{"maxConcurrentCalls": "ten"}"#, "maxConcurrentCalls"),
        ]
    )
    func badConcurrencyJSON(json: String, field: String) {
        let error = #expect(throws: ConfigurationError.self) {
            try JSONDecoder().decode(ConcurrencyLimiterConfiguration.self, from: Data(json.utf8))
        }
        #expect(error?.field == field)
    }

    @Test(
        "bad rate-limit JSON is a ConfigurationError naming the field by its path",
        arguments: [
            (#"{}"#, "algorithm"),
            (#"{"algorithm": {"type": "leakyBucket"}}"#, "algorithm.type"),
            (#"{"algorithm": {"type": "tokenBucket", "capacity": 0, "tokensPerPeriod": 1, "period": 1}}"#, "algorithm.capacity"),
            (#"{"algorithm": {"type": "tokenBucket", "capacity": 1, "tokensPerPeriod": 1}}"#, "algorithm.period"),
            (#"{"algorithm": {"type": "tokenBucket", "capacity": 1, "tokensPerPeriod": 1, "period": 1, "limit": 4}}"#, "algorithm.limit"),
            (#"{"algorithm": {"type": "slidingWindow", "limit": 1, "window": 1, "segments": 0}}"#, "algorithm.segments"),
            (#"{"algorithm": {"type": "slidingWindow", "limit": 1, "window": 1}, "maxWait": -1}"#, "maxWait"),
        ]
    )
    func badRateJSON(json: String, field: String) {
        let error = #expect(throws: ConfigurationError.self) {
            try JSONDecoder().decode(RateLimiterConfiguration.self, from: Data(json.utf8))
        }
        #expect(error?.field == field)
    }
}
