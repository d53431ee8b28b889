import Benchmark
import Resilience

func circuitBreakerBenchmarks() {
    let closed = CircuitBreaker(name: "closed")
    let countWindow: CircuitBreakerConfiguration
    let timeWindow: CircuitBreakerConfiguration
    do {
        countWindow = try CircuitBreakerConfiguration(
            consecutiveFailureThreshold: 5, failureRateThreshold: 0.5, slidingWindow: .count(100), minimumThroughput: 20)
        timeWindow = try CircuitBreakerConfiguration(
            consecutiveFailureThreshold: 5, failureRateThreshold: 0.5, slowCalls: .tripping(atRate: 0.8, over: .seconds(5)),
            slidingWindow: .time(.seconds(60), buckets: 12), minimumThroughput: 20)
    } catch {
        // Literal configurations; an error here is a bug in the benchmark itself.
        preconditionFailure("\(error)")
    }
    let rateBreaker = CircuitBreaker(name: "rate", configuration: countWindow)
    let timedBreaker = CircuitBreaker(name: "timed", configuration: timeWindow)
    let open = CircuitBreaker(name: "open")
    open.isolate()

    Benchmark("CircuitBreaker: direct call (baseline)") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await succeed(index))
        }
    }

    Benchmark("CircuitBreaker: closed, successful call (consecutive failures)") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await closed.execute { try await succeed(index) })
        }
    }

    Benchmark("CircuitBreaker: closed, successful call (failure rate, count window)") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await rateBreaker.execute { try await succeed(index) })
        }
    }

    Benchmark("CircuitBreaker: closed, successful call (time window and slow calls)") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await timedBreaker.execute { try await succeed(index) })
        }
    }

    Benchmark("CircuitBreaker: closed, permit API") { benchmark in
        for index in benchmark.scaledIterations {
            let permit = try closed.acquirePermit()
            blackHole(try await succeed(index))
            permit.recordSuccess()
        }
    }

    Benchmark("CircuitBreaker: rejected call while open") { benchmark in
        for index in benchmark.scaledIterations {
            do {
                blackHole(try await open.execute { try await succeed(index) })
            } catch {
                blackHole(error)
            }
        }
    }

    Benchmark("CircuitBreaker: rejected call while open, caught by a fallback") { benchmark in
        let fallback = Fallback(returning: -1)
        for index in benchmark.scaledIterations {
            blackHole(try await fallback.execute { try await open.execute { try await succeed(index) } })
        }
    }
}
