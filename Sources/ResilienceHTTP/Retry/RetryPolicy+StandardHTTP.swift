#if HTTP
import Resilience

extension RetryPolicy {
    /// The standard HTTP pipeline's retry policy (Microsoft.Extensions.Http.Resilience's standard
    /// handler): up to 3 retries (4 attempts), exponential from 2 s (2, 4, 8 s) within ±25 % jitter,
    /// at most 30 s a wait and 30 s in all, retrying transient failures and rate limits.
    ///
    /// A server's hint longer than the 30 s cap, or than the time left of the 30 s, fails fast instead
    /// of waiting.
    public static var standardHTTP: RetryPolicy {
        var policy = RetryPolicy.default
        policy.maxAttempts = 4
        policy.backoff = .exponential(initial: .seconds(2), multiplier: 2, maxDelay: .seconds(30))
        policy.jitter = .symmetric(0.25)
        policy.maxElapsedTime = .seconds(30)
        policy.retryableCategories = ErrorCategory.allTransient.union([.rateLimited])
        policy.backoffByCategory = [:]
        return policy
    }
}

extension CircuitBreakerConfiguration {
    /// The standard HTTP pipeline's breaker (Microsoft.Extensions.Http.Resilience's standard handler),
    /// one per authority: opens when 10 % of the calls in the last 30 s failed, once there were at least
    /// 100, for 5 s; one probe at a time. Transient failures (5xx, 408, timeouts, connection failures)
    /// and rate limits (429) count.
    public static var standardHTTP: CircuitBreakerConfiguration {
        var configuration = CircuitBreakerConfiguration.default
        configuration.consecutiveFailureThreshold = nil
        configuration.failureRateThreshold = 0.1
        configuration.slidingWindow = .time(.seconds(30), buckets: 10)
        configuration.minimumThroughput = 100
        configuration.breakDuration = .constant(.seconds(5))
        configuration.maxConcurrentProbes = 1
        configuration.failureCategories = CircuitBreakerConfiguration.defaultFailureCategories
        return configuration
    }
}

#endif
