import Foundation
import Resilience
import Testing

@Suite("Circuit breaker configuration")
struct CircuitBreakerConfigurationTests {
    @Test("the default is the guide's breaker: 5 failures in a row open it for 60 s")
    func defaults() throws {
        let configuration = CircuitBreakerConfiguration.default
        #expect(configuration.consecutiveFailureThreshold == 5)
        #expect(configuration.breakDuration == .constant(.seconds(60)))
        #expect(configuration.failureRateThreshold == nil)
        #expect(configuration.maxConcurrentProbes == 1)
        #expect(configuration.halfOpenRule == .consecutiveSuccesses(1))
        #expect(configuration.probeTimeout == .seconds(60))
        #expect(configuration.failureCategories == [.timeout, .connectionFailure, .ioFailure, .transient, .rateLimited])
        #expect(try CircuitBreakerConfiguration() == configuration)
        #expect(
            "\(configuration)"
                == "opens after 5 consecutive failures, for constant(60.0 s), 1 probe(s) at once, closes after 1 successful probe")
    }

    /// A configuration built by `make`, or the error it throws.
    static func error(_ make: () throws -> CircuitBreakerConfiguration) -> ConfigurationError? {
        do {
            _ = try make()
            return nil
        } catch {
            return error as? ConfigurationError
        }
    }

    @Test(
        "invalid values are rejected with an error naming the field",
        arguments: [
            Invalid("consecutiveFailureThreshold") { try CircuitBreakerConfiguration(consecutiveFailureThreshold: 0) },
            Invalid("failureRateThreshold") { try CircuitBreakerConfiguration(failureRateThreshold: 0) },
            Invalid("failureRateThreshold") { try CircuitBreakerConfiguration(failureRateThreshold: 1.5) },
            Invalid("failureRateThreshold") { try CircuitBreakerConfiguration(failureRateThreshold: -0.1) },
            Invalid("failureRateThreshold") { try CircuitBreakerConfiguration(failureRateThreshold: .nan) },
            Invalid("slidingWindow.size") { try CircuitBreakerConfiguration(slidingWindow: .count(0)) },
            Invalid("slidingWindow.size") { try CircuitBreakerConfiguration(slidingWindow: .count(2_000_000)) },
            Invalid("slidingWindow.duration") { try CircuitBreakerConfiguration(slidingWindow: .time(.zero)) },
            Invalid("slidingWindow.duration") { try CircuitBreakerConfiguration(slidingWindow: .time(.seconds(-1))) },
            Invalid("slidingWindow.buckets") { try CircuitBreakerConfiguration(slidingWindow: .time(.seconds(10), buckets: 0)) },
            Invalid("slidingWindow.buckets") { try CircuitBreakerConfiguration(slidingWindow: .time(.nanoseconds(5), buckets: 6)) },
            Invalid("minimumThroughput") { try CircuitBreakerConfiguration(minimumThroughput: 0) },
            Invalid("minimumThroughput") {
                try CircuitBreakerConfiguration(failureRateThreshold: 0.5, slidingWindow: .count(10), minimumThroughput: 11)
            },
            Invalid("breakDuration") { try CircuitBreakerConfiguration(breakDuration: .constant(.zero)) },
            Invalid("breakDuration.delay") { try CircuitBreakerConfiguration(breakDuration: .constant(.seconds(-5))) },
            Invalid("breakDuration.multiplier") {
                try CircuitBreakerConfiguration(breakDuration: .exponential(initial: .seconds(1), multiplier: 0.5, maxDelay: .seconds(9)))
            },
            Invalid("maxConcurrentProbes") { try CircuitBreakerConfiguration(maxConcurrentProbes: 0) },
            Invalid("halfOpenRule.successes") { try CircuitBreakerConfiguration(halfOpenRule: .consecutiveSuccesses(0)) },
            Invalid("probeTimeout") { try CircuitBreakerConfiguration(probeTimeout: .zero) },
            Invalid("slowCalls.threshold") { try CircuitBreakerConfiguration(slowCalls: .countedAsFailures(over: .zero)) },
            Invalid("slowCalls.rateThreshold") { try CircuitBreakerConfiguration(slowCalls: .tripping(atRate: 2, over: .seconds(1))) },
            Invalid("failureCategories") { try CircuitBreakerConfiguration(failureCategories: [.timeout, .cancellation]) },
            Invalid("consecutiveFailureThreshold") { try CircuitBreakerConfiguration(consecutiveFailureThreshold: nil) },
        ]
    )
    func invalidValues(invalid: Invalid) {
        let error = Self.error(invalid.make)
        #expect(error?.code == .invalidValue)
        #expect(error?.field == invalid.field)
    }

    @Test("a rate rule alone is enough, and the minimum throughput may not exceed a count window only when a rate rule is set")
    func validCombinations() throws {
        _ = try CircuitBreakerConfiguration(consecutiveFailureThreshold: nil, failureRateThreshold: 0.5)
        _ = try CircuitBreakerConfiguration(consecutiveFailureThreshold: nil, slowCalls: .tripping(atRate: 1, over: .seconds(1)))
        _ = try CircuitBreakerConfiguration(slidingWindow: .count(5), minimumThroughput: 10)
        _ = try CircuitBreakerConfiguration(
            failureRateThreshold: 1, slidingWindow: .time(.seconds(1), buckets: 10), minimumThroughput: 10_000)
    }

    @Test("configurations round-trip through JSON")
    func jsonRoundTrip() throws {
        let configuration = try CircuitBreakerConfiguration(
            consecutiveFailureThreshold: nil,
            failureRateThreshold: 0.5,
            slowCalls: .tripping(atRate: 0.8, over: .milliseconds(2500)),
            slidingWindow: .time(.seconds(60), buckets: 12),
            minimumThroughput: 20,
            breakDuration: .exponential(initial: .seconds(30), multiplier: 2, maxDelay: .seconds(300)),
            maxConcurrentProbes: 3,
            halfOpenRule: .consecutiveSuccesses(2),
            probeTimeout: nil,
            failureCategories: [.timeout, .rateLimited]
        )
        let data = try JSONEncoder().encode(configuration)
        #expect(try JSONDecoder().decode(CircuitBreakerConfiguration.self, from: data) == configuration)
        for other in [
            CircuitBreakerConfiguration.default, try CircuitBreakerConfiguration(slowCalls: .countedAsFailures(over: .seconds(1))),
        ] {
            #expect(try JSONDecoder().decode(CircuitBreakerConfiguration.self, from: JSONEncoder().encode(other)) == other)
        }
    }

    @Test("missing fields take the defaults; null switches an optional rule off")
    func jsonDefaults() throws {
        let decoded = try JSONDecoder().decode(
            CircuitBreakerConfiguration.self,
            from: Data(#"{"consecutiveFailureThreshold": null, "failureRateThreshold": 0.25, "probeTimeout": null}"#.utf8)
        )
        #expect(decoded.consecutiveFailureThreshold == nil)
        #expect(decoded.failureRateThreshold == 0.25)
        #expect(decoded.probeTimeout == nil)
        #expect(decoded.breakDuration == .constant(.seconds(60)))
        #expect(try JSONDecoder().decode(CircuitBreakerConfiguration.self, from: Data("{}".utf8)) == .default)
    }

    @Test(
        "decoding errors name the field",
        arguments: [
            (#"{"failureRateThreshold": 1.5}"#, "failureRateThreshold", ConfigurationError.Code.invalidValue),
            (#"{"slidingWindow": {"type": "count", "size": 0}}"#, "slidingWindow.size", .invalidValue),
            (#"{"slidingWindow": {"type": "count", "size": 1.5}}"#, "slidingWindow.size", .wrongType),
            (#"{"slidingWindow": {"type": "ring"}}"#, "slidingWindow.type", .invalidValue),
            (#"{"slidingWindow": {"type": "time", "duration": -1}}"#, "slidingWindow.duration", .invalidValue),
            (#"{"breakDuration": {"type": "constant", "delay": 0}}"#, "breakDuration", .invalidValue),
            (#"{"slowCalls": {"threshold": 1, "rateThreshold": 0}}"#, "slowCalls.rateThreshold", .invalidValue),
            (#"{"slowCalls": {"threshold": 1, "rate": 0.5}}"#, "slowCalls.rate", .unknownField),
            (#"{"failureCategories": ["timeout", "flaky"]}"#, "failureCategories[1]", .invalidValue),
            (#"{"failureTreshold": 3}"#, "failureTreshold", .unknownField),
            (#"{"maxConcurrentProbes": "two"}"#, "maxConcurrentProbes", .wrongType),
        ] as [(String, String, ConfigurationError.Code)]
    )
    func decodingErrors(json: String, field: String, code: ConfigurationError.Code) {
        do {
            _ = try JSONDecoder().decode(CircuitBreakerConfiguration.self, from: Data(json.utf8))
            Issue.record("expected an error")
        } catch let error as ConfigurationError {
            #expect(error.field == field)
            #expect(error.code == code)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}

/// A way to build an invalid configuration, and the field its error should name.
struct Invalid: Sendable, CustomTestStringConvertible {
    let field: String
    let make: @Sendable () throws -> CircuitBreakerConfiguration

    init(_ field: String, _ make: @escaping @Sendable () throws -> CircuitBreakerConfiguration) {
        self.field = field
        self.make = make
    }

    var testDescription: String { field }
}
