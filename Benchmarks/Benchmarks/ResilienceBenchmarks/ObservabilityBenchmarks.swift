import Benchmark
import Resilience

/// What observing costs on the success path: the retry + circuit breaker pipeline without an observer,
/// with one that does nothing (the pipeline's call timing, the retry's attempt timing, the events), and
/// with the statistics observer (which adds its counting), beside the cost of counting one event.
func observabilityBenchmarks() {
    let breaker = CircuitBreaker(name: "observed-breaker")
    let unobserved = ResiliencePipeline(name: "retry+breaker") {
        Retry(.default)
        breaker
    }
    let observedByNothing = ResiliencePipeline(name: "retry+breaker", observer: ClosureObserver { blackHole($0) }) {
        Retry(.default)
        breaker
    }
    let statistics = ResilienceStatistics()
    let counted = ResiliencePipeline(name: "retry+breaker", observer: statistics) {
        Retry(.default)
        breaker
    }

    Benchmark("Observability: retry + circuit breaker, no observer, first attempt succeeds") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await unobserved.execute { try await succeed(index) })
        }
    }

    Benchmark("Observability: retry + circuit breaker, an observer doing nothing, first attempt succeeds") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await observedByNothing.execute { try await succeed(index) })
        }
    }

    Benchmark("Observability: retry + circuit breaker, statistics, first attempt succeeds") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await counted.execute { try await succeed(index) })
        }
    }

    let direct = ResilienceStatistics()
    var event = ResilienceEvent.attemptSucceeded(strategy: "retry", attempt: 1, duration: .nanoseconds(120))
    event.pipeline = "retry+breaker"
    let succeeded = event
    Benchmark("Observability: statistics counts one attempt-succeeded event") { benchmark in
        for _ in benchmark.scaledIterations {
            direct.observe(succeeded)
        }
    }

    let inTurn = ResilienceStatistics()
    let strategies = ["ocr-retry", "vision-retry", "llm-retry", "db-retry"].map { name in
        var event = ResilienceEvent.attemptSucceeded(strategy: name, attempt: 1, duration: .nanoseconds(120))
        event.pipeline = "receipts"
        return event
    }
    Benchmark("Observability: statistics counts events of four strategies in turn (found by hashing)") { benchmark in
        for index in benchmark.scaledIterations {
            inTurn.observe(strategies[index & 3])
        }
    }

    Benchmark("Observability: ContinuousClock.now (what timing a call or an attempt reads twice)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(ContinuousClock.now)
        }
    }
}
