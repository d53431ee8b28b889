import Benchmark
import Resilience

func pipelineBenchmarks() {
    let retryAlone = Retry(.default)
    let breaker = CircuitBreaker(name: "pipeline-breaker")
    let retryAndBreaker = ResiliencePipeline(name: "retry+breaker") {
        Retry(.default)
        breaker
    }
    let timeout: Timeout<ContinuousClock>
    let retryBreakerTimeout:
        ResiliencePipeline<
            NestedStrategy<NestedStrategy<Retry<ContinuousClock>, CircuitBreaker<ContinuousClock>>, Timeout<ContinuousClock>>
        >
    do {
        timeout = try Timeout(.seconds(30))
        retryBreakerTimeout = try ResiliencePipeline(name: "retry+breaker+timeout") {
            Retry(.default)
            breaker
            try Timeout(.seconds(30))
        }
    } catch {
        // Literal settings; an error here is a bug in the benchmark itself.
        preconditionFailure("\(error)")
    }

    Benchmark("Pipeline: direct call (baseline)") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await succeed(index))
        }
    }

    Benchmark("Pipeline: retry alone, first attempt succeeds") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await retryAlone.execute { try await succeed(index) })
        }
    }

    Benchmark("Pipeline: circuit breaker alone, call succeeds") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await breaker.execute { try await succeed(index) })
        }
    }

    Benchmark("Pipeline: retry around circuit breaker by hand, first attempt succeeds") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await retryAlone.execute { try await breaker.execute { try await succeed(index) } })
        }
    }

    Benchmark("Pipeline: retry + circuit breaker, first attempt succeeds") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await retryAndBreaker.execute { try await succeed(index) })
        }
    }

    // Item 2 of issue 8: a pipeline kept in a property is erased; what does the erasure cost?
    let erasedRetryAndBreaker = AnyResilienceStrategy(retryAndBreaker)
    Benchmark("Pipeline: retry + circuit breaker, erased (AnyResilienceStrategy), first attempt succeeds") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await erasedRetryAndBreaker.execute { try await succeed(index) })
        }
    }

    let fallbackRetryAndBreaker = ResiliencePipeline(name: "fallback+retry+breaker") {
        Fallback(returning: -1)
        Retry(.default)
        breaker
    }
    Benchmark("Pipeline: fallback + retry + circuit breaker (typed), first attempt succeeds") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await fallbackRetryAndBreaker.execute { try await succeed(index) })
        }
    }

    let erasedFallbackRetryAndBreaker = AnyTypedResilienceStrategy(fallbackRetryAndBreaker)
    Benchmark("Pipeline: fallback + retry + circuit breaker, erased (AnyTypedResilienceStrategy), first attempt succeeds") {
        benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await erasedFallbackRetryAndBreaker.execute { try await succeed(index) })
        }
    }

    Benchmark("Pipeline: timeout alone, operation succeeds") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await timeout.execute { try await succeed(index) })
        }
    }

    Benchmark("Pipeline: Task.yield() alone (baseline for a suspending operation)") { benchmark in
        for index in benchmark.scaledIterations {
            await Task.yield()
            blackHole(index)
        }
    }

    Benchmark("Pipeline: timeout alone, operation suspends once") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(
                try await timeout.execute { () async throws -> Int in
                    await Task.yield()
                    return index
                }
            )
        }
    }

    Benchmark("Pipeline: retry + circuit breaker + per-attempt timeout, first attempt succeeds") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await retryBreakerTimeout.execute { try await succeed(index) })
        }
    }
}
