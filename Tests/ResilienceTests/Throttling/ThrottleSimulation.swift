import Resilience
import ResilienceTestKit

/// A deterministic simulation of one client behind an ``AdaptiveThrottle`` calling a backend of
/// limited capacity, on virtual time: requests arrive evenly at `offeredPerSecond`; the backend
/// accepts what a token bucket refilling at its capacity allows and refuses the rest as overloaded
/// (a transient failure, like an HTTP 503).
struct ThrottleSimulation {
    /// One phase of the backend's life: how long, and how many calls a second it can accept.
    struct Phase {
        var seconds: Int
        var capacityPerSecond: Int
    }

    /// What happened in one second of simulated time.
    struct Second: Equatable {
        var offered = 0
        var sent = 0
        var accepted = 0
        var throttled = 0
    }

    /// The backend's refusal when it is over capacity.
    struct Overloaded: Error, ClassifiableError {
        var resilienceClassification: ErrorClassification { .transient }
    }

    var offeredPerSecond = 500
    var phases: [Phase]
    var configuration = AdaptiveThrottleConfiguration.default
    var seed: UInt64 = 42

    /// Runs the simulation and returns each second's counts.
    func run() async -> [Second] {
        let clock = ManualClock()
        let throttle = AdaptiveThrottle(
            configuration: configuration, clock: clock, random: .shared(SeededRandomNumberGenerator(seed: seed))
        )
        var seconds: [Second] = []
        var tokens = 0.0
        var lastRefill = Duration.zero
        let interval = Duration.seconds(1) / offeredPerSecond
        var elapsedSeconds = 0
        for phase in phases {
            let capacity = Double(phase.capacityPerSecond)
            let burst = max(capacity / 10, 1)  // a tenth of a second of capacity
            for _ in 0..<phase.seconds {
                var second = Second()
                for index in 0..<offeredPerSecond {
                    let now = Duration.seconds(elapsedSeconds) + interval * index
                    clock.advance(to: ManualClock.Instant(offset: now))
                    tokens = min(burst, tokens + capacity * (now - lastRefill).inSecondsForSimulation)
                    lastRefill = now
                    second.offered += 1
                    do {
                        try await throttle.execute {
                            second.sent += 1
                            guard tokens >= 1 else { throw Overloaded() }
                            tokens -= 1
                            second.accepted += 1
                        }
                    } catch is LimitExceededError {
                        second.throttled += 1
                    } catch {
                        // refused by the backend: counted as sent, not accepted
                    }
                }
                seconds.append(second)
                elapsedSeconds += 1
            }
        }
        return seconds
    }
}

extension [ThrottleSimulation.Second] {
    /// The mean of `field` over `range` of seconds.
    func mean(_ field: KeyPath<ThrottleSimulation.Second, Int>, over range: Range<Int>) -> Double {
        let slice = self[range]
        return Double(slice.reduce(0) { $0 + $1[keyPath: field] }) / Double(slice.count)
    }

    /// The first second at or after `start` in which at least `share` of the offered calls were sent.
    func firstSecond(from start: Int, sendingAtLeast share: Double) -> Int? {
        indices.first { $0 >= start && Double(self[$0].sent) >= share * Double(self[$0].offered) }
    }
}

extension Duration {
    /// Seconds as a `Double`.
    var inSecondsForSimulation: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
