import Benchmark
import Resilience

/// The operation of the hedging benchmarks that answer at once: like `succeed`, but running in the
/// caller's isolation. (`succeed` is a plain nonisolated async function: called from an actor, as the
/// attempts of a hedged call are, it hops off the actor and back, so the attempt suspends.)
@inline(never)
nonisolated(nonsending) func answer(_ value: Int) async throws -> Int {
    blackHole(value)
    return value
}

/// An actor to run hedged calls from, so that the attempts' child tasks are isolated to it.
private actor HedgingCaller {
    func run(_ hedging: Hedging<ContinuousClock>, iterations: Range<Int>) async throws {
        for index in iterations {
            blackHole(try await hedging.execute { try await answer(index) })
        }
    }
}

func hedgingBenchmarks() {
    let hedging: Hedging<ContinuousClock>
    let throttle: AdaptiveThrottle<ContinuousClock>
    do {
        hedging = Hedging(try HedgingPolicy(maxAttempts: 2, delay: .seconds(1)))
        throttle = AdaptiveThrottle(configuration: try AdaptiveThrottleConfiguration(window: .seconds(30)))
    } catch {
        // Literal settings; an error here is a bug in the benchmark itself.
        preconditionFailure("\(error)")
    }
    let retryAlone = Retry(.default)
    let caller = HedgingCaller()
    let chaosOff = FaultInjection.Switch(isEnabled: false)
    let chaosOn = FaultInjection.Switch(isEnabled: true)
    let disabledInjection = ErrorInjection(rate: 0.5, error: transientFailure, switch: chaosOff)
    let zeroRateInjection = ErrorInjection(rate: 0, error: transientFailure, switch: chaosOn)
    let drawingInjection = LatencyInjection(rate: 1e-9, delay: .seconds(1), switch: chaosOn, random: .seeded(1))
    let systemDrawingInjection = LatencyInjection(rate: 1e-9, delay: .seconds(1), switch: chaosOn)

    Benchmark("Hedging: direct call (baseline)") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await succeed(index))
        }
    }

    Benchmark("Hedging: retry alone, first attempt succeeds (for comparison)") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await retryAlone.execute { try await succeed(index) })
        }
    }

    Benchmark("Hedging: direct call of the in-place operation (baseline)") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await answer(index))
        }
    }

    Benchmark("Hedging: nonisolated caller, first attempt answers without suspending") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await hedging.execute { try await answer(index) })
        }
    }

    Benchmark("Hedging: executeConcurrently, first attempt answers without suspending") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await hedging.executeConcurrently { _ in try await answer(index) })
        }
    }

    Benchmark("Hedging: nonisolated caller, the attempt hops off the call's actor and back (timer task started)") {
        benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await hedging.execute { try await succeed(index) })
        }
    }

    Benchmark("Hedging: caller on an actor, first attempt answers without suspending") { benchmark in
        try await caller.run(hedging, iterations: benchmark.scaledIterations)
    }

    Benchmark("Hedging: nonisolated caller, first attempt suspends once (timer task started)") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(
                try await hedging.execute { () async throws -> Int in
                    await Task.yield()
                    return index
                }
            )
        }
    }

    Benchmark("Throttle: backend accepting every call (no rejections)") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await throttle.execute { try await succeed(index) })
        }
    }

    Benchmark("Fault injection: switch off") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await disabledInjection.execute { try await succeed(index) })
        }
    }

    Benchmark("Fault injection: switch on, rate 0 (never fires, no draw)") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await zeroRateInjection.execute { try await succeed(index) })
        }
    }

    Benchmark("Fault injection: switch on, drawing from a seeded source, not firing") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await drawingInjection.execute { try await succeed(index) })
        }
    }

    Benchmark("Fault injection: switch on, drawing from the system source, not firing") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await systemDrawingInjection.execute { try await succeed(index) })
        }
    }
}
