import Benchmark
import CoreMetrics
import Resilience
import ResilienceMetrics
import ResilienceTracing

/// The retry + breaker pipeline's success path with each observer, beside none: what watching costs.
func observerBenchmarks() {
    func pipeline(_ name: String, observer: (any ResilienceObserver)?) -> some ResilienceStrategy {
        let breaker = CircuitBreaker(name: "\(name)-breaker")
        return ResiliencePipeline(name: name, observer: observer) {
            Retry(.default, name: "\(name)-retry")
            breaker
        }
    }
    let unobserved = pipeline("unobserved", observer: nil)
    let watched = pipeline("watched", observer: ClosureObserver { blackHole($0) })
    let metered = pipeline("metered", observer: MetricsObserver(factory: NOOPMetricsHandler.instance))
    let traced = pipeline("traced", observer: TracingObserver())
    let logged = pipeline("logged", observer: LoggingObserver())
    let attemptSpans = ResiliencePipeline(name: "attempt-spans") {
        Retry(.default).tracingAttempts("attempt")
        CircuitBreaker(name: "attempt-spans-breaker")
    }

    /// Runs `strategy`'s success path, after one call that makes whatever it makes on first use (a
    /// metrics observer's handlers), outside the measurement.
    func measure(_ strategy: some ResilienceStrategy, _ benchmark: Benchmark) async throws {
        blackHole(try await strategy.execute { try await succeed(0) })
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(try await strategy.execute { try await succeed(index) })
        }
    }

    Benchmark("Observers: retry + circuit breaker, first attempt succeeds, no observer") { benchmark in
        try await measure(unobserved, benchmark)
    }

    Benchmark("Observers: retry + circuit breaker, first attempt succeeds, an observer that does nothing") { benchmark in
        try await measure(watched, benchmark)
    }

    Benchmark("Observers: retry + circuit breaker, first attempt succeeds, MetricsObserver on a no-op factory") { benchmark in
        try await measure(metered, benchmark)
    }

    Benchmark("Observers: retry + circuit breaker, first attempt succeeds, TracingObserver, no tracer") { benchmark in
        try await measure(traced, benchmark)
    }

    Benchmark("Observers: retry + circuit breaker, first attempt succeeds, LoggingObserver (defaults)") { benchmark in
        try await measure(logged, benchmark)
    }

    Benchmark("Observers: retry with traced attempts + circuit breaker, no span in the task") { benchmark in
        try await measure(attemptSpans, benchmark)
    }
}

/// One event into an observer, alone: what each observer costs per event.
func observerEventBenchmarks() {
    let metrics = MetricsObserver(factory: NOOPMetricsHandler.instance)
    let succeeded = ResilienceEvent.attemptSucceeded(strategy: "ocr-retry", attempt: 1)
    var stamped = succeeded
    stamped.pipeline = "ocr"
    let completed = ResilienceEvent.callCompleted(strategy: "ocr", duration: .milliseconds(3), error: nil, classification: nil)
    let nothing = ClosureObserver { blackHole($0) }

    Benchmark("Observer events: a closure observer, one attemptSucceeded (baseline)") { benchmark in
        for _ in benchmark.scaledIterations {
            nothing.observe(stamped)
        }
    }

    Benchmark("Observer events: MetricsObserver on a no-op factory, one attemptSucceeded") { benchmark in
        metrics.observe(stamped)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            metrics.observe(stamped)
        }
    }

    Benchmark("Observer events: MetricsObserver on a no-op factory, one callCompleted") { benchmark in
        metrics.observe(completed)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            metrics.observe(completed)
        }
    }
}
