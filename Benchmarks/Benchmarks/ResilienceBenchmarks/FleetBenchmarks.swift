import Benchmark
import Resilience

/// The success path through a breaker shared by a fleet (a `FleetCoordination` following a fresh
/// view, as `ResiliencePostgres`'s sync leaves it) beside the same breaker alone: the fleet is never
/// consulted on a call, so both cost the same and allocate nothing.
func fleetBenchmarks() {
    let configuration: CircuitBreakerConfiguration
    do {
        configuration = try CircuitBreakerConfiguration(
            consecutiveFailureThreshold: 5, failureRateThreshold: 0.5, slidingWindow: .count(100), minimumThroughput: 20)
    } catch {
        // A literal configuration; an error here is a bug in the benchmark itself.
        preconditionFailure("\(error)")
    }
    let local = CircuitBreaker(name: "local", configuration: configuration)
    let coordination = FleetCoordination(instance: "bench", configuration: .default)
    let shared = CircuitBreaker(name: "shared", configuration: configuration, fleet: coordination)
    // One sync's worth of view: a healthy fleet of three, so the breaker follows the fleet.
    let now: Int64 = 1_767_225_600_000_000_000
    let summaries = ["bench", "a", "b"].map {
        FleetBreakerSummary(instance: $0, state: .closed, stateSince: now, calls: 50, failures: 0, heartbeat: now)
    }
    coordination.apply(FleetBreakerView(summaries: summaries), acknowledging: nil, unixTime: now)

    Benchmark("Fleet: closed, successful call through a local breaker (baseline)") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await local.execute { try await succeed(index) })
        }
    }

    Benchmark("Fleet: closed, successful call through a shared breaker following its fleet") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try await shared.execute { try await succeed(index) })
        }
    }
}
