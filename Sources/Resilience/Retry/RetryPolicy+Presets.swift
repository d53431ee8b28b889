extension RetryPolicy {
    /// The default policy: 3 attempts; 1 s doubling to at most 60 s, plus up to 50 % jitter;
    /// retries timeouts and connection failures.
    public static let `default` = RetryPolicy(
        unchecked: 3,
        backoff: .exponential(initial: .seconds(1), multiplier: 2, maxDelay: .seconds(60)),
        jitter: .proportional(0.5),
        retryableCategories: [.timeout, .connectionFailure]
    )

    /// The aggressive policy: 5 attempts; 0.5 s doubling to at most 60 s, plus up to 50 % jitter;
    /// retries timeouts, connection failures and I/O failures.
    public static let aggressive = RetryPolicy(
        unchecked: 5,
        backoff: .exponential(initial: .milliseconds(500), multiplier: 2, maxDelay: .seconds(60)),
        jitter: .proportional(0.5),
        retryableCategories: [.timeout, .connectionFailure, .ioFailure]
    )

    /// The rate-limit policy: 5 attempts; 2 s tripling to at most 120 s, plus up to 50 % jitter;
    /// retries every failure except cancellation and calls rejected by a strategy such as an open
    /// circuit breaker.
    public static let rateLimit = RetryPolicy(
        unchecked: 5,
        backoff: .exponential(initial: .seconds(2), multiplier: 3, maxDelay: .seconds(120)),
        jitter: .proportional(0.5),
        retryableCategories: Set(ErrorCategory.allCases).subtracting([.cancellation, .rejected])
    )

    /// The conservative policy: 2 attempts; 2 s doubling to at most 60 s, plus up to 50 %
    /// jitter; retries timeouts only.
    public static let conservative = RetryPolicy(
        unchecked: 2,
        backoff: .exponential(initial: .seconds(2), multiplier: 2, maxDelay: .seconds(60)),
        jitter: .proportional(0.5),
        retryableCategories: [.timeout]
    )

    /// The adaptive policy: 5 attempts, no jitter; transient failures wait 1, 2, 4, 8 s,
    /// rate limits wait 4, 8, 16, 32 s; permanent failures are not retried.
    public static let adaptive = RetryPolicy(
        unchecked: 5,
        backoff: .exponential(initial: .seconds(1), multiplier: 2, maxDelay: .seconds(8)),
        jitter: .none,
        retryableCategories: ErrorCategory.allTransient.union([.rateLimited]),
        backoffByCategory: [.rateLimited: .exponential(initial: .seconds(4), multiplier: 2, maxDelay: .seconds(32))]
    )

    /// Every preset by the name the command-line tool and configuration files use:
    /// `default`, `aggressive`, `rate-limit`, `conservative`, `adaptive`.
    public static let presets: [String: RetryPolicy] = [
        "default": .default,
        "aggressive": .aggressive,
        "rate-limit": .rateLimit,
        "conservative": .conservative,
        "adaptive": .adaptive,
    ]
}
