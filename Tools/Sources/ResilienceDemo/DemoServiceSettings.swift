import Resilience
import ResilienceCommands

/// The values one demo service is called with: the guide's retry policy and breaker, an attempt
/// time-out, a concurrency limit, and how long a refused attempt waits for the breaker.
struct DemoServiceSettings: Sendable, Hashable {
    /// What is retried, how often, how long to wait.
    var retry: RetryPolicy
    /// When the service's breaker opens and for how long.
    var breaker: CircuitBreakerConfiguration
    /// The limit on each attempt; `nil` for none.
    var attemptTimeout: Duration?
    /// The service's calls at once, and how many wait for a permit.
    var concurrencyLimit: ConcurrencyLimiterConfiguration
    /// How long an attempt the breaker refuses while a probe is out waits before asking again.
    var breakerPoll: Duration
    /// How long, in all, an attempt waits for the breaker before its refusal ends the call.
    var breakerPatience: Duration

    /// The guide's OCR values: `RetryPolicy.aggressive` (5 attempts from 500 ms, which the guide's
    /// aggressive policy uses "for transient failures", so transient ones (a 503, a 500) too), a breaker
    /// open for 60 s after 5 failures in a row, a 10 s attempt time-out, and `calls` at once.
    static func ocr(calls: Int, queued: Int) -> DemoServiceSettings {
        var retry = RetryPolicy.aggressive
        retry.retryableCategories.insert(.transient)
        return DemoServiceSettings(
            retry: retry,
            breaker: .consecutiveFailures(5, breakDuration: .seconds(60)),
            attemptTimeout: .seconds(10),
            concurrencyLimit: .concurrentCalls(calls, queued: queued),
            breakerPoll: .seconds(1),
            breakerPatience: .seconds(60) * max(2 * queued + 6, 10)
        )
    }

    /// The guide's vision values: `RetryPolicy.rateLimit` (5 attempts from 2 s, tripling, honouring
    /// `Retry-After`), a breaker open for 120 s after 3 failures in a row, a 10 s attempt time-out, and
    /// `calls` at once.
    static func vision(calls: Int, queued: Int) -> DemoServiceSettings {
        DemoServiceSettings(
            retry: .rateLimit,
            breaker: .consecutiveFailures(3, breakDuration: .seconds(120)),
            attemptTimeout: .seconds(10),
            concurrencyLimit: .concurrentCalls(calls, queued: queued),
            breakerPoll: .seconds(1),
            breakerPatience: .seconds(120) * max(2 * queued + 6, 10)
        )
    }
}
