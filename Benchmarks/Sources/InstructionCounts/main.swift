// A harness for counting instructions per call under `valgrind --tool=callgrind`.
//
// `InstructionCounts SCENARIO N` runs the scenario's loop N times inside a task and exits. `main` is
// synchronous and waits on a semaphore: valgrind crashes on an async `main`. `callgrind.sh` beside
// the package runs each scenario and the `empty` loop under callgrind and prints the difference per
// call. The operations and the hand-written loop are those of `Benchmarks/ResilienceBenchmarks`.

import Dispatch
import CoreMetrics
import Logging
import Resilience
import ResilienceMetrics

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps a value alive and opaque to the optimiser.
@_optimize(none) @inline(never)
func blackHole(_ value: Int) {}

/// Keeps an event alive and opaque to the optimiser: what an observer that does nothing does.
@_optimize(none) @inline(never)
func blackHole(_ event: ResilienceEvent) {}

/// The retry + circuit breaker pipeline reporting to `observer`.
func observedPipeline(
    _ observer: (any ResilienceObserver)?
) -> ResiliencePipeline<NestedStrategy<Retry<ContinuousClock>, CircuitBreaker<ContinuousClock>>> {
    let breaker = CircuitBreaker(name: "breaker")
    return ResiliencePipeline(name: "retry+breaker", observer: observer) {
        Retry(.default)
        breaker
    }
}

/// A logger that logs nothing below `.info`, the level of a production service.
let infoLogger = {
    var logger = Logger(label: "instruction-counts") { _ in SwiftLogNoOpLogHandler() }
    logger.logLevel = .info
    return logger
}()

/// The operation the scenarios call: an async function the optimiser cannot see through.
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

/// Literal settings; an error here is a bug in the harness itself.
func literal<T>(_ make: () throws -> T) -> T {
    do {
        return try make()
    } catch {
        preconditionFailure("\(error)")
    }
}

typealias Scenario = @Sendable (_ iterations: Int) async throws -> Void

/// The direct call in a function of its own, the baseline of the `-called` scenarios.
@inline(never)
func callDirectly(_ index: Int) async throws -> Int {
    try await succeed(index)
}

/// One call through `strategy` in a function of its own, as an application makes it: the
/// scenarios' loops would otherwise let the optimiser hoist per-call work (the strategy's
/// temporaries of resilient types, allocated on the task) out of the loop.
@inline(never)
func callOnce(_ strategy: some ResilienceStrategy, _ index: Int) async throws -> Int {
    try await strategy.execute { try await succeed(index) }
}

let zeroDelay = literal {
    try RetryPolicy(maxAttempts: 3, backoff: .constant(.zero), jitter: .none, retryableCategories: [.timeout])
}

let scenarios: [(name: String, run: Scenario)] = [
    (
        "empty",
        { iterations in
            for index in 0..<iterations { blackHole(index) }
        }
    ),
    (
        "direct",
        { iterations in
            for index in 0..<iterations { blackHole(try await succeed(index)) }
        }
    ),
    (
        "direct-called",
        { iterations in
            for index in 0..<iterations { blackHole(try await callDirectly(index)) }
        }
    ),
    (
        "hand-written-success",
        { iterations in
            let clock = ContinuousClock()
            for index in 0..<iterations {
                blackHole(try await handWrittenRetry(attempts: 3, delay: .seconds(1), clock: clock) { try await succeed(index) })
            }
        }
    ),
    (
        "hand-written-failure",
        { iterations in
            let clock = ContinuousClock()
            var counter = 0
            for _ in 0..<iterations {
                blackHole(try await handWrittenRetry(attempts: 3, delay: .zero, clock: clock) { try await failEveryOtherCall(&counter) })
            }
        }
    ),
    (
        "retry-default-success",
        { iterations in
            for index in 0..<iterations { blackHole(try await retry(.default) { try await succeed(index) }) }
        }
    ),
    (
        "retry-reused-success",
        { iterations in
            let strategy = Retry(.default)
            for index in 0..<iterations { blackHole(try await strategy.execute { try await succeed(index) }) }
        }
    ),
    (
        "retry-zero-delay-failure",
        { iterations in
            var counter = 0
            for _ in 0..<iterations { blackHole(try await retry(zeroDelay) { try await failEveryOtherCall(&counter) }) }
        }
    ),
    (
        "retry-reused-zero-delay-failure",
        { iterations in
            let strategy = Retry(zeroDelay)
            var counter = 0
            for _ in 0..<iterations { blackHole(try await strategy.execute { try await failEveryOtherCall(&counter) }) }
        }
    ),
    (
        "retry-reused-success-called",
        { iterations in
            let strategy = Retry(.default)
            for index in 0..<iterations { blackHole(try await callOnce(strategy, index)) }
        }
    ),
    (
        "breaker-closed-success",
        { iterations in
            let breaker = CircuitBreaker(name: "closed")
            for index in 0..<iterations { blackHole(try await breaker.execute { try await succeed(index) }) }
        }
    ),
    (
        "hand-written-retry-breaker",
        { iterations in
            let clock = ContinuousClock()
            let breaker = CircuitBreaker(name: "breaker")
            for index in 0..<iterations {
                blackHole(
                    try await handWrittenRetry(attempts: 3, delay: .seconds(1), clock: clock) {
                        try await breaker.execute { try await succeed(index) }
                    }
                )
            }
        }
    ),
    (
        "breaker-closed-success-called",
        { iterations in
            let breaker = CircuitBreaker(name: "closed")
            for index in 0..<iterations { blackHole(try await callOnce(breaker, index)) }
        }
    ),
    (
        "retry-breaker-by-hand",
        { iterations in
            let strategy = Retry(.default)
            let breaker = CircuitBreaker(name: "breaker")
            for index in 0..<iterations {
                blackHole(try await strategy.execute { try await breaker.execute { try await succeed(index) } })
            }
        }
    ),
    (
        "pipeline-retry-breaker",
        { iterations in
            let breaker = CircuitBreaker(name: "breaker")
            let pipeline = ResiliencePipeline(name: "retry+breaker") {
                Retry(.default)
                breaker
            }
            for index in 0..<iterations { blackHole(try await pipeline.execute { try await succeed(index) }) }
        }
    ),
    (
        "pipeline-retry-breaker-called",
        { iterations in
            let breaker = CircuitBreaker(name: "breaker")
            let pipeline = ResiliencePipeline(name: "retry+breaker") {
                Retry(.default)
                breaker
            }
            for index in 0..<iterations { blackHole(try await callOnce(pipeline, index)) }
        }
    ),
    (
        "pipeline-observed-nothing",
        { iterations in
            let pipeline = observedPipeline(ClosureObserver { blackHole($0) })
            for index in 0..<iterations { blackHole(try await pipeline.execute { try await succeed(index) }) }
        }
    ),
    (
        "pipeline-observed-nothing-called",
        { iterations in
            let pipeline = observedPipeline(ClosureObserver { blackHole($0) })
            for index in 0..<iterations { blackHole(try await callOnce(pipeline, index)) }
        }
    ),
    (
        "pipeline-observed-statistics",
        { iterations in
            let pipeline = observedPipeline(ResilienceStatistics())
            for index in 0..<iterations { blackHole(try await pipeline.execute { try await succeed(index) }) }
        }
    ),
    (
        "pipeline-observed-metrics",
        { iterations in
            // swift-metrics' no-op factory: what recording costs this package, not a backend.
            let pipeline = observedPipeline(MetricsObserver(factory: NOOPMetricsHandler.instance))
            for index in 0..<iterations { blackHole(try await pipeline.execute { try await succeed(index) }) }
        }
    ),
    (
        "pipeline-observed-logging",
        { iterations in
            // The default levels: a call's end and an attempt's success are not logged.
            let pipeline = observedPipeline(LoggingObserver(logger: infoLogger))
            for index in 0..<iterations { blackHole(try await pipeline.execute { try await succeed(index) }) }
        }
    ),
    (
        "pipeline-observed-logging-below-level",
        { iterations in
            // Each call's end logged at `.debug`, below the logger's `.info`: a level comparison per call.
            let pipeline = observedPipeline(LoggingObserver(logger: infoLogger, callCompletedLevel: .debug))
            for index in 0..<iterations { blackHole(try await pipeline.execute { try await succeed(index) }) }
        }
    ),
    (
        "pipeline-retry-breaker-erased",
        { iterations in
            let breaker = CircuitBreaker(name: "breaker")
            let pipeline = AnyResilienceStrategy(
                ResiliencePipeline(name: "retry+breaker") {
                    Retry(.default)
                    breaker
                }
            )
            for index in 0..<iterations { blackHole(try await pipeline.execute { try await succeed(index) }) }
        }
    ),
    (
        "pipeline-fallback-retry-breaker",
        { iterations in
            let breaker = CircuitBreaker(name: "breaker")
            let pipeline = ResiliencePipeline(name: "fallback+retry+breaker") {
                Fallback(returning: -1)
                Retry(.default)
                breaker
            }
            for index in 0..<iterations { blackHole(try await pipeline.execute { try await succeed(index) }) }
        }
    ),
    (
        "pipeline-fallback-retry-breaker-erased",
        { iterations in
            let breaker = CircuitBreaker(name: "breaker")
            let pipeline = AnyTypedResilienceStrategy(
                ResiliencePipeline(name: "fallback+retry+breaker") {
                    Fallback(returning: -1)
                    Retry(.default)
                    breaker
                }
            )
            for index in 0..<iterations { blackHole(try await pipeline.execute { try await succeed(index) }) }
        }
    ),
    (
        "timeout-non-suspending-called",
        { iterations in
            let timeout = Timeout(.seconds(30))
            for index in 0..<iterations { blackHole(try await callOnce(timeout, index)) }
        }
    ),
    (
        "timeout-non-suspending",
        { iterations in
            let timeout = Timeout(.seconds(30))
            for index in 0..<iterations { blackHole(try await timeout.execute { try await succeed(index) }) }
        }
    ),
]

let arguments = CommandLine.arguments
if arguments.count == 2, arguments[1] == "--list" {
    for scenario in scenarios { print(scenario.name) }
    exit(0)
}
guard arguments.count == 3, let scenario = scenarios.first(where: { $0.name == arguments[1] }), let iterations = Int(arguments[2]) else {
    print("usage: InstructionCounts SCENARIO ITERATIONS | --list\nscenarios: \(scenarios.map(\.name).joined(separator: " "))")
    exit(2)
}
let done = DispatchSemaphore(value: 0)
let failure = UnsafeSendableBox()
Task.detached {
    do {
        try await scenario.run(iterations)
    } catch {
        failure.message = "\(error)"
    }
    done.signal()
}
done.wait()
if let message = failure.message {
    print("scenario \(scenario.name) failed: \(message)")
    exit(1)
}

/// The task's error, read by `main` after the semaphore says the task is done.
final class UnsafeSendableBox: @unchecked Sendable {  // Safe: written before `done.signal()`, read after `done.wait()`.
    var message: String?
}
