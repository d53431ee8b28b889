import Benchmark

/// Every benchmark of the package, grouped by file: `RetryBenchmarks.swift`, ….
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .instructions, .mallocCountTotal, .throughput],
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000_000
    )
    retryBenchmarks()
    circuitBreakerBenchmarks()
    pipelineBenchmarks()
    limiterBenchmarks()
    observabilityBenchmarks()
    httpBenchmarks()
    hedgingBenchmarks()
    observerBenchmarks()
    observerEventBenchmarks()
    fleetBenchmarks()
}
