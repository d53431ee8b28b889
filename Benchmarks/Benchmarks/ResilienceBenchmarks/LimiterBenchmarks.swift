import Benchmark
import Resilience

func limiterBenchmarks() {
    let retry = Retry(.default)
    // Limits no benchmark reaches: every call is admitted at once, so these measure the success path.
    let concurrency = ConcurrencyLimiter(name: "concurrency", configuration: .concurrentCalls(1_000, queued: 1_000))
    let tokenBucket: RateLimiter<ContinuousClock>
    let slidingWindow: RateLimiter<ContinuousClock>
    let perTenantConfiguration: RateLimiterConfiguration
    do {
        tokenBucket = RateLimiter(
            name: "bucket",
            configuration: try .tokenBucket(capacity: 1_000_000_000, tokensPerPeriod: 1_000_000_000, period: .milliseconds(1))
        )
        slidingWindow = RateLimiter(
            name: "window",
            configuration: try .slidingWindow(limit: 1_000_000_000, window: .seconds(1), segments: 10)
        )
        perTenantConfiguration = try .tokenBucket(capacity: 1_000_000_000, tokensPerPeriod: 1_000_000_000, period: .milliseconds(1))
    } catch {
        // Literal configurations; an error here is a bug in the benchmark itself.
        preconditionFailure("\(error)")
    }
    let perTenantRate = PartitionedRateLimiter(name: "tenants", keyedBy: { "tenant-1" }) { _ in perTenantConfiguration }
    let perTenantConcurrency = PartitionedConcurrencyLimiter(name: "tenants", keyedBy: { "tenant-1" }) { _ in
        .concurrentCalls(1_000)
    }
    let breaker = CircuitBreaker(name: "limiter-breaker")
    let limiterRetryBreaker = ResiliencePipeline(name: "limiter+retry+breaker") {
        concurrency
        Retry(.default)
        breaker
    }

    Benchmark("Limiter: direct call (baseline)") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await succeed(index))
        }
    }

    Benchmark("Limiter: retry alone, first attempt succeeds (baseline)") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await retry.execute { try await succeed(index) })
        }
    }

    Benchmark("Limiter: concurrency limiter, permit free") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await concurrency.execute { try await succeed(index) })
        }
    }

    Benchmark("Limiter: rate limiter (token bucket), permit free") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await tokenBucket.execute { try await succeed(index) })
        }
    }

    Benchmark("Limiter: rate limiter (sliding window), permit free") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await slidingWindow.execute { try await succeed(index) })
        }
    }

    Benchmark("Limiter: partitioned rate limiter, existing partition") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await perTenantRate.execute { try await succeed(index) })
        }
    }

    Benchmark("Limiter: partitioned concurrency limiter, existing partition") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await perTenantConcurrency.execute { try await succeed(index) })
        }
    }

    Benchmark("Limiter: concurrency limiter + retry + circuit breaker, first attempt succeeds") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await limiterRetryBreaker.execute { try await succeed(index) })
        }
    }
}
