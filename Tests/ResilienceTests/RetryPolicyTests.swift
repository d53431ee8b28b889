import Foundation
import Resilience
import Testing

@Suite("Retry policies")
struct RetryPolicyTests {
    @Test("the presets carry the guide's values")
    func presets() {
        #expect(RetryPolicy.default.maxAttempts == 3)
        #expect(RetryPolicy.default.backoff == .exponential(initial: .seconds(1), multiplier: 2, maxDelay: .seconds(60)))
        #expect(RetryPolicy.default.jitter == .proportional(0.5))
        #expect(RetryPolicy.default.retryableCategories == [.timeout, .connectionFailure])

        #expect(RetryPolicy.aggressive.maxAttempts == 5)
        #expect(RetryPolicy.aggressive.backoff == .exponential(initial: .milliseconds(500), multiplier: 2, maxDelay: .seconds(60)))
        #expect(RetryPolicy.aggressive.retryableCategories == [.timeout, .connectionFailure, .ioFailure])

        #expect(RetryPolicy.rateLimit.maxAttempts == 5)
        #expect(RetryPolicy.rateLimit.backoff == .exponential(initial: .seconds(2), multiplier: 3, maxDelay: .seconds(120)))
        #expect(
            RetryPolicy.rateLimit.retryableCategories == [.timeout, .connectionFailure, .ioFailure, .transient, .rateLimited, .permanent])

        #expect(RetryPolicy.conservative.maxAttempts == 2)
        #expect(RetryPolicy.conservative.backoff == .exponential(initial: .seconds(2), multiplier: 2, maxDelay: .seconds(60)))
        #expect(RetryPolicy.conservative.retryableCategories == [.timeout])

        #expect(RetryPolicy.adaptive.retries(.rateLimited) && !RetryPolicy.adaptive.retries(.permanent))
        #expect((1...4).map(RetryPolicy.adaptive.backoff(for: .transient).delay(forRetry:)) == [1, 2, 4, 8].map(Duration.seconds))
        #expect((1...4).map(RetryPolicy.adaptive.backoff(for: .rateLimited).delay(forRetry:)) == [4, 8, 16, 32].map(Duration.seconds))
    }

    @Test("every preset is itself a valid policy")
    func presetsAreValid() throws {
        for (name, preset) in RetryPolicy.presets {
            let rebuilt = try RetryPolicy(
                maxAttempts: preset.maxAttempts,
                backoff: preset.backoff,
                jitter: preset.jitter,
                maxElapsedTime: preset.maxElapsedTime,
                retryableCategories: preset.retryableCategories,
                backoffByCategory: preset.backoffByCategory
            )
            #expect(rebuilt == preset, "\(name)")
        }
    }

    /// The initialiser's arguments, so a table can list invalid combinations.
    struct Fields: Sendable {
        var maxAttempts = 3
        var backoff = Backoff.exponential(initial: .seconds(1), maxDelay: .seconds(60))
        var jitter = Jitter.none
        var maxElapsedTime: Duration? = nil
        var retryableCategories: Set<ErrorCategory> = [.timeout]
        var backoffByCategory: [ErrorCategory: Backoff] = [:]

        func makePolicy() throws -> RetryPolicy {
            try RetryPolicy(
                maxAttempts: maxAttempts, backoff: backoff, jitter: jitter, maxElapsedTime: maxElapsedTime,
                retryableCategories: retryableCategories, backoffByCategory: backoffByCategory
            )
        }
    }

    @Test(
        "an invalid value throws a ConfigurationError naming the field",
        arguments: [
            (Fields(maxAttempts: 0), "maxAttempts"),
            (Fields(maxAttempts: -3), "maxAttempts"),
            (Fields(backoff: .constant(.seconds(-1))), "backoff.delay"),
            (Fields(backoff: .exponential(initial: .seconds(-1), maxDelay: .seconds(1))), "backoff.initialDelay"),
            (Fields(backoff: .exponential(initial: .seconds(1), multiplier: -1, maxDelay: .seconds(9))), "backoff.multiplier"),
            (Fields(backoff: .exponential(initial: .seconds(1), multiplier: .nan, maxDelay: .seconds(9))), "backoff.multiplier"),
            (Fields(backoff: .exponential(initial: .seconds(1), multiplier: .infinity, maxDelay: .seconds(9))), "backoff.multiplier"),
            (Fields(backoff: .exponential(initial: .seconds(5), maxDelay: .seconds(1))), "backoff.maxDelay"),
            (Fields(backoff: .linear(initial: .seconds(1), increment: .seconds(-1), maxDelay: .seconds(9))), "backoff.increment"),
            (Fields(backoff: .custom([])), "backoff.delays"),
            (Fields(jitter: .proportional(1.5)), "jitter.fraction"),
            (Fields(jitter: .proportional(-0.5)), "jitter.fraction"),
            (Fields(jitter: .proportional(.nan)), "jitter.fraction"),
            (Fields(maxElapsedTime: .zero), "maxElapsedTime"),
            (Fields(maxElapsedTime: .seconds(-5)), "maxElapsedTime"),
            (Fields(retryableCategories: [.timeout, .cancellation]), "retryableCategories"),
            (
                Fields(backoffByCategory: [.rateLimited: .exponential(initial: .seconds(4), maxDelay: .seconds(1))]),
                "backoffByCategory.rateLimited.maxDelay"
            ),
            (Fields(backoffByCategory: [.cancellation: .constant(.seconds(1))]), "backoffByCategory.cancellation"),
            (Fields(backoff: .constant(.seconds(1)), jitter: .decorrelated), "jitter"),
            (Fields(jitter: .decorrelated, backoffByCategory: [.rateLimited: .custom([.seconds(4)])]), "jitter"),
        ] as [(Fields, String)]
    )
    func invalidField(fields: Fields, field: String) {
        #expect {
            _ = try fields.makePolicy()
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.field == field && error.code == .invalidValue && error.description.contains(field)
        }
    }

    @Test("a policy round-trips through JSON")
    func roundTrip() throws {
        let policy = try RetryPolicy(
            maxAttempts: 4,
            backoff: .linear(initial: .milliseconds(250), increment: .milliseconds(750), maxDelay: .seconds(10)),
            jitter: .equal,
            maxElapsedTime: .seconds(30),
            retryableCategories: [.timeout, .rateLimited],
            backoffByCategory: [.rateLimited: .custom([.seconds(4), .seconds(8)])]
        )
        let decoded = try JSONDecoder().decode(RetryPolicy.self, from: JSONEncoder().encode(policy))
        #expect(decoded == policy)
        for preset in RetryPolicy.presets.values {
            #expect(try JSONDecoder().decode(RetryPolicy.self, from: JSONEncoder().encode(preset)) == preset)
        }
    }

    @Test("decoding fills missing fields from the named preset")
    func decodingWithPreset() throws {
        let json = #"{ "preset": "aggressive", "maxAttempts": 7, "jitter": "full" }"#
        let policy = try JSONDecoder().decode(RetryPolicy.self, from: Data(json.utf8))
        #expect(policy.maxAttempts == 7)
        #expect(policy.jitter == .full)
        #expect(policy.backoff == RetryPolicy.aggressive.backoff)
        #expect(policy.retryableCategories == RetryPolicy.aggressive.retryableCategories)
        #expect(try JSONDecoder().decode(RetryPolicy.self, from: Data("{}".utf8)) == .default)
    }

    @Test("decoding reads every documented shape")
    func decodingShapes() throws {
        let json = #"""
            {
              "maxAttempts": 5,
              "backoff": { "type": "exponential", "initialDelay": 0.5, "multiplier": 3, "maxDelay": 30 },
              "jitter": { "type": "proportional", "fraction": 0.25 },
              "maxElapsedTime": 90,
              "retryableCategories": ["timeout", "rateLimited"],
              "backoffByCategory": { "rateLimited": { "type": "constant", "delay": 4 } }
            }
            """#
        let policy = try JSONDecoder().decode(RetryPolicy.self, from: Data(json.utf8))
        #expect(
            policy
                == (try RetryPolicy(
                    maxAttempts: 5,
                    backoff: .exponential(initial: .milliseconds(500), multiplier: 3, maxDelay: .seconds(30)),
                    jitter: .proportional(0.25),
                    maxElapsedTime: .seconds(90),
                    retryableCategories: [.timeout, .rateLimited],
                    backoffByCategory: [.rateLimited: .constant(.seconds(4))]
                )))
    }

    @Test(
        "decoding a bad field fails with a ConfigurationError naming it",
        arguments: [
            (#"{ "maxAttempts": 0 }"#, "maxAttempts", ConfigurationError.Code.invalidValue),
            (#"{ "maxAttempts": "three" }"#, "maxAttempts", .wrongType),
            (#"{ "maxAttempts": 2.5 }"#, "maxAttempts", .wrongType),
            (#"{ "maxAttempt": 5 }"#, "maxAttempt", .unknownField),
            (#"{ "preset": "yolo" }"#, "preset", .invalidValue),
            (
                #"{ "backoff": { "type": "exponential", "initialDelay": 1, "multiplier": -2, "maxDelay": 9 } }"#, "backoff.multiplier",
                .invalidValue
            ),
            (#"{ "backoff": { "type": "exponential", "initialDelay": 10, "maxDelay": 1 } }"#, "backoff.maxDelay", .invalidValue),
            (#"{ "backoff": { "type": "exponential", "initialDelay": -1, "maxDelay": 1 } }"#, "backoff.initialDelay", .invalidValue),
            (#"{ "backoff": { "type": "exponential", "initialDelay": 1e300, "maxDelay": 1e301 } }"#, "backoff.initialDelay", .invalidValue),
            (#"{ "backoff": { "type": "exponential", "maxDelay": 1 } }"#, "backoff.initialDelay", .invalidValue),
            (#"{ "backoff": { "type": "fibonacci" } }"#, "backoff.type", .invalidValue),
            (#"{ "backoff": { "type": "constant", "delay": 1, "jitter": 2 } }"#, "backoff.jitter", .unknownField),
            (#"{ "backoff": 3 }"#, "backoff", .wrongType),
            (#"{ "backoff": { "type": "custom", "delays": [1, -1] } }"#, "backoff.delays[1]", .invalidValue),
            (#"{ "jitter": "sometimes" }"#, "jitter", .invalidValue),
            (#"{ "jitter": { "type": "proportional", "fraction": 2 } }"#, "jitter.fraction", .invalidValue),
            (#"{ "maxElapsedTime": 0 }"#, "maxElapsedTime", .invalidValue),
            (#"{ "maxElapsedTime": -1 }"#, "maxElapsedTime", .invalidValue),
            (#"{ "retryableCategories": ["timeout", "gremlins"] }"#, "retryableCategories[1]", .invalidValue),
            (#"{ "retryableCategories": ["cancellation"] }"#, "retryableCategories", .invalidValue),
            (#"{ "retryableCategories": "timeout" }"#, "retryableCategories", .wrongType),
            (#"{ "backoffByCategory": { "gremlins": { "type": "constant", "delay": 1 } } }"#, "backoffByCategory.gremlins", .unknownField),
            (
                #"{ "backoffByCategory": { "rateLimited": { "type": "constant", "delay": -1 } } }"#, "backoffByCategory.rateLimited.delay",
                .invalidValue
            ),
            (#"[1, 2]"#, "(root)", .wrongType),
        ] as [(String, String, ConfigurationError.Code)]
    )
    func decodingBadField(json: String, field: String, code: ConfigurationError.Code) {
        #expect {
            _ = try JSONDecoder().decode(RetryPolicy.self, from: Data(json.utf8))
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.field == field && error.code == code
        }
    }

    @Test("non-finite numbers in JSON are rejected by name, not trapped on")
    func nonFiniteJSON() {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        for (json, field) in [
            (#"{ "maxElapsedTime": "nan" }"#, "maxElapsedTime"),
            (#"{ "backoff": { "type": "constant", "delay": "inf" } }"#, "backoff.delay"),
            (#"{ "backoff": { "type": "exponential", "initialDelay": 1, "multiplier": "nan", "maxDelay": 2 } }"#, "backoff.multiplier"),
        ] {
            #expect {
                _ = try decoder.decode(RetryPolicy.self, from: Data(json.utf8))
            } throws: { error in
                (error as? ConfigurationError)?.field == field
            }
        }
    }

    @Test("a nested policy's errors name the full path")
    func nestedPath() {
        struct Config: Decodable {
            var policies: [String: RetryPolicy]
        }
        let json = #"{ "policies": { "ocr": { "maxAttempts": 0 } } }"#
        #expect {
            _ = try JSONDecoder().decode(Config.self, from: Data(json.utf8))
        } throws: { error in
            (error as? ConfigurationError)?.field == "policies.ocr.maxAttempts"
        }
    }

    @Test("descriptions summarise the policy")
    func description() {
        #expect(
            RetryPolicy.default.description
                == "3 attempts, exponential(1.0 s × 2.0, max 60.0 s), jitter proportional(0.5), retries [connectionFailure, timeout]"
        )
    }
}
