import Foundation
import Resilience

// `RetryPolicy`'s JSON decoder (`resilience run --policy`'s presets are code, but services load
// policies from files). Crash checks; a decoded policy is valid, encodes, and reads back equal;
// its delays can be drawn.

func fuzz(_ data: Data) {
    guard let policy = try? JSONDecoder().decode(RetryPolicy.self, from: data) else { return }
    do {
        try policy.validate()
    } catch {
        require(false, "a decoded policy is not valid: \(error)")
    }
    _ = policy.description
    do {
        let encoded = try JSONEncoder().encode(policy)
        let decoded = try JSONDecoder().decode(RetryPolicy.self, from: encoded)
        require(decoded == policy, "did not read back equal:\n\(String(decoding: encoded, as: UTF8.self))\n\(decoded)\n\(policy)")
    } catch {
        require(false, "what was written does not read back: \(error)")
    }
    var generator = SeededRandomNumberGenerator(seed: UInt64(data.count))
    for category in ErrorCategory.allCases {
        var delays = JitteredBackoff(policy.backoff(for: category), jitter: policy.jitter)
        for _ in 0..<min(policy.maxAttempts, 64) {
            require(delays.nextDelay(using: &generator) >= .zero, "a negative delay")
        }
    }
}
