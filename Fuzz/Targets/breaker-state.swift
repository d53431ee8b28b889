import Foundation
import Resilience
import ResilienceCommands

// `resilience run --breaker FILE`'s state file decoder (format version 2, and version 1 files
// converted), with every configuration's window layout. Crash checks, and round trips: what a
// decoded state encodes to decodes again to the same bytes, also after a run has continued from
// it (a probe, a failure, a clock step back), so whatever one run writes, the next one reads.

let configurations: [CircuitBreakerConfiguration] = {
    var timed = CircuitBreakerConfiguration.default
    timed.failureRateThreshold = 0.9
    timed.slowCalls = .tripping(atRate: 0.9, over: .seconds(5))
    timed.slidingWindow = .time(.seconds(1), buckets: 10)
    timed.consecutiveFailureThreshold = 3
    timed.minimumThroughput = 50
    timed.breakDuration = .exponential(initial: .milliseconds(1), multiplier: 2, maxDelay: .seconds(600))
    timed.maxConcurrentProbes = 2
    timed.halfOpenRule = .consecutiveSuccesses(2)
    timed.probeTimeout = .seconds(600)
    var longest = CircuitBreakerConfiguration.consecutiveFailures(1, breakDuration: .nanoseconds(Int64.max))
    longest.slidingWindow = .count(10)
    return [.default, timed, longest]
}()

/// `state` encodes, and what it encodes to decodes to a state that encodes the same.
func requireRoundTrip(_ state: BreakerState, _ configuration: CircuitBreakerConfiguration) {
    let bytes: Data
    do {
        bytes = try state.encoded()
    } catch {
        require(false, "a decoded state does not encode: \(error)")
        return
    }
    do {
        let (again, version) = try BreakerState.decode(from: bytes, configuration: configuration)
        require(version == BreakerState.formatVersion, "written as version \(version)")
        require(try again.encoded() == bytes, "reading back changed the state:\n\(String(decoding: bytes, as: UTF8.self))")
    } catch {
        require(false, "what was written does not read back: \(error)\n\(String(decoding: bytes, as: UTF8.self))")
    }
}

func fuzz(_ data: Data) {
    for configuration in configurations {
        guard let (state, _) = try? BreakerState.decode(from: data, configuration: configuration) else { continue }
        requireRoundTrip(state, configuration)
        // A run continues from the state, later and after a clock step back.
        for offset in [Duration.seconds(Int64(data.count % 700)), .seconds(-3_600)] {
            var current = state
            let now = current.updatedAt.advanced(by: offset)
            let acquisition = current.modify(at: now, configuration: configuration) { $0.acquire(at: now, configuration: configuration) }
            if let permit = acquisition.permit {
                let outcome: CircuitBreakerOutcome = data.count % 3 == 0 ? .success : .failure
                let end = now.advanced(by: .seconds(6))
                _ = current.modify(at: end, configuration: configuration) {
                    $0.record(outcome, for: permit, at: end, configuration: configuration)
                }
            }
            _ = current.machine.snapshot(at: now, configuration: configuration)
            requireRoundTrip(current, configuration)
        }
    }
}
