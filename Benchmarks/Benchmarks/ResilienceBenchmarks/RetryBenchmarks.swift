import Benchmark
import Resilience

/// The operation every benchmark calls: an async function the optimiser cannot see through.
@inline(never)
func succeed(_ value: Int) async throws -> Int {
    blackHole(value)
    return value
}

/// A pre-boxed error, so throwing it measures the retry machinery rather than boxing a new error.
let transientFailure: any Error = TimeoutError(timeout: .seconds(1))

/// Fails on every call with an odd `counter`, succeeds on every even one.
@inline(never)
func failEveryOtherCall(_ counter: inout Int) async throws -> Int {
    counter &+= 1
    if counter & 1 == 1 { throw transientFailure }
    return counter
}

/// The loop a careful user would write by hand: attempts, a fixed delay on the given clock.
@inline(never)
func handWrittenRetry<C: Clock>(
    attempts: Int,
    delay: Duration,
    clock: C,
    _ operation: () async throws -> Int
) async throws -> Int where C.Duration == Duration {
    var attempt = 1
    while true {
        do {
            return try await operation()
        } catch {
            if attempt >= attempts { throw error }
            attempt += 1
            if delay > .zero { try await clock.sleep(for: delay) } else { try Task.checkCancellation() }
        }
    }
}

func retryBenchmarks() {
    let zeroDelay: RetryPolicy
    do {
        zeroDelay = try RetryPolicy(maxAttempts: 3, backoff: .constant(.zero), jitter: .none, retryableCategories: [.timeout])
    } catch {
        // A literal policy; an error here is a bug in the benchmark itself.
        preconditionFailure("\(error)")
    }
    let clock = ContinuousClock()

    Benchmark("Retry: direct call (baseline)") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await succeed(index))
        }
    }

    Benchmark("Retry: hand-written loop, first attempt succeeds") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await handWrittenRetry(attempts: 3, delay: .seconds(1), clock: clock) { try await succeed(index) })
        }
    }

    Benchmark("Retry: retry(.default), first attempt succeeds") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await retry(.default) { try await succeed(index) })
        }
    }

    let strategy = Retry(.default)
    Benchmark("Retry: reused Retry value, first attempt succeeds") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await strategy.execute { try await succeed(index) })
        }
    }

    let ratioBudget: RetryBudget
    do {
        ratioBudget = try RetryBudget.ratio(0.1, window: .seconds(10))
    } catch {
        preconditionFailure("\(error)")
    }
    let budgeted = Retry(.default, budget: ratioBudget)
    Benchmark("Retry: with a ratio retry budget, first attempt succeeds") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await budgeted.execute { try await succeed(index) })
        }
    }

    Benchmark("Retry: hand-written loop, one failure then zero-delay retry") { benchmark in
        var counter = 0
        for _ in benchmark.scaledIterations {
            blackHole(try await handWrittenRetry(attempts: 3, delay: .zero, clock: clock) { try await failEveryOtherCall(&counter) })
        }
    }

    Benchmark("Retry: retry(zero delay), one failure then zero-delay retry") { benchmark in
        var counter = 0
        for _ in benchmark.scaledIterations {
            blackHole(try await retry(zeroDelay) { try await failEveryOtherCall(&counter) })
        }
    }

    Benchmark("Retry: Task.sleep(for: .zero), what other libraries pay per zero delay") { benchmark in
        for _ in benchmark.scaledIterations {
            try await Task.sleep(for: .zero)
        }
    }
}
