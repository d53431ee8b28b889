#if canImport(Glibc)
@_spi(ResilienceTools) import Resilience
import Glibc
#elseif canImport(Musl)
@_spi(ResilienceTools) import Resilience
import Musl
#elseif canImport(Darwin)
@_spi(ResilienceTools) import Resilience
import Darwin
#endif

/// A time in a simulation: nanoseconds from the start of a run. The library's breaker state machine
/// runs on it.
package struct SimulatedInstant: InstantProtocol, Hashable, Sendable {
    /// Nanoseconds from the start of the run.
    package var nanoseconds: Int64

    /// The instant `nanoseconds` after the start.
    package init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    package func advanced(by duration: Duration) -> SimulatedInstant {
        SimulatedInstant(nanoseconds: nanoseconds &+ duration.saturatingNanoseconds)
    }

    package func duration(to other: SimulatedInstant) -> Duration {
        .nanoseconds(other.nanoseconds &- nanoseconds)
    }

    package static func < (lhs: SimulatedInstant, rhs: SimulatedInstant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }
}

/// The fleet scenario of issue 14: `instances` instances of a service behind one downstream, each
/// receiving requests as a Poisson process of ``requestRate`` per second and calling the downstream
/// once per request (no retries). The downstream fails every call from ``outageStart`` for
/// ``outageDuration``, then comes back; the run goes on for ``observation`` after that.
///
/// Each instance's breaker is the library's ``CircuitBreakerStateMachine`` with ``breaker``. Under a
/// shared strategy each instance also syncs with a shared store every
/// ``FleetConfiguration/syncInterval`` (the first sync at a random phase in the first interval), and
/// the store is modelled in memory, answering at once: an upsert of the instance's
/// ``FleetBreakerReport`` summary, its probe request applied to the library's ``FleetProbeLeases``,
/// and the view given back to the state machine's `followFleet` (the library's ``FleetDecision``).
/// A call's outcome is the downstream's state when the call reaches it; it is recorded after one
/// ``latency``.
package struct FleetScenario: Hashable, Sendable {
    /// The instances behind the downstream.
    package var instances: Int
    /// Requests per second to each instance.
    package var requestRate: Double
    /// When the downstream goes down.
    package var outageStart: Duration
    /// How long it stays down.
    package var outageDuration: Duration
    /// How long the run goes on after the downstream is back.
    package var observation: Duration
    /// The time a call takes, from the instance's view.
    package var latency: NetworkLatency
    /// Each instance's local breaker.
    package var breaker: CircuitBreakerConfiguration
    /// The fleet's configuration (its rules are the shared strategies').
    package var fleet: FleetConfiguration

    /// The scenario of the issue: 2 requests a second per instance, an outage of a minute starting at
    /// 30 s, another minute after it, calls of |Normal(20ms, 5ms)|, local breakers opening after 5
    /// failures in a row for 10 s, a fleet syncing every second.
    ///
    /// - Parameter instances: The instances.
    package static func standard(instances: Int) -> FleetScenario {
        FleetScenario(
            instances: instances,
            requestRate: 2,
            outageStart: .seconds(30),
            outageDuration: .seconds(60),
            observation: .seconds(60),
            latency: .normal(mean: .milliseconds(20), standardDeviation: .milliseconds(5)),
            breaker: .consecutiveFailures(5, breakDuration: .seconds(10)),
            fleet: .default
        )
    }

    /// When the downstream is back, in nanoseconds from the start.
    var outageEnd: Int64 { outageStart.saturatingNanoseconds &+ outageDuration.saturatingNanoseconds }
}

/// How the instances of a ``FleetScenario`` protect the downstream.
package struct FleetStrategy: Hashable, Sendable, CustomStringConvertible {
    enum Kind: Hashable, Sendable {
        case none
        case local
        case shared(FleetBreakerRules)
    }

    /// The strategy's name, as in `--strategies`.
    package let name: String
    let kind: Kind

    /// No breaker: every request calls the downstream.
    package static let none = FleetStrategy(name: "none", kind: .none)
    /// A local breaker on each instance, learning alone.
    package static let local = FleetStrategy(name: "local", kind: .local)

    /// Local breakers shared through a fleet with `rules`.
    ///
    /// - Parameters:
    ///   - name: The strategy's name.
    ///   - rules: The fleet's rules.
    package static func shared(_ name: String, rules: FleetBreakerRules) -> FleetStrategy {
        FleetStrategy(name: name, kind: .shared(rules))
    }

    /// The four strategies compared: none, local, and the shared breaker under each of its two rules
    /// (`shared-rate`: the pooled failure rate over at least `minimumThroughput` calls;
    /// `shared-quorum`: `quorum` instances open on their own evidence).
    ///
    /// - Parameters:
    ///   - failureRate: The pooled rule's threshold.
    ///   - minimumThroughput: The pooled rule's fleet-wide minimum of calls.
    ///   - quorum: The quorum of instances.
    /// - Returns: The strategies, in that order.
    package static func standard(failureRate: Double = 0.5, minimumThroughput: Int = 20, quorum: Int = 3) -> [FleetStrategy] {
        var pooled = FleetBreakerRules.default
        pooled.failureRateThreshold = failureRate
        pooled.minimumThroughput = minimumThroughput
        pooled.quorum = nil
        var byQuorum = FleetBreakerRules.default
        byQuorum.failureRateThreshold = nil
        byQuorum.minimumThroughput = minimumThroughput
        byQuorum.quorum = quorum
        return [.none, .local, .shared("shared-rate", rules: pooled), .shared("shared-quorum", rules: byQuorum)]
    }

    /// The strategy's name.
    package var description: String { name }
}

/// What one run of a ``FleetSimulation`` measured.
package struct FleetResult: Hashable, Sendable {
    /// Calls that reached the downstream while it was down (probes included).
    package var outageCalls: Int
    /// Half-open probes that reached the downstream while it was down.
    package var outageProbes: Int
    /// Half-open probes that reached the downstream after it came back.
    package var returnProbes: Int
    /// How long after the downstream came back every breaker was closed (and stayed closed to the
    /// end of the run); `nil` when some breaker was still not closed at the end.
    package var recoveryTime: Duration?

    /// Creates a result.
    ///
    /// - Parameters:
    ///   - outageCalls: Calls during the outage.
    ///   - outageProbes: Probes during the outage.
    ///   - returnProbes: Probes after the downstream came back.
    ///   - recoveryTime: The time to recover, if it did.
    package init(outageCalls: Int, outageProbes: Int, returnProbes: Int, recoveryTime: Duration?) {
        self.outageCalls = outageCalls
        self.outageProbes = outageProbes
        self.returnProbes = returnProbes
        self.recoveryTime = recoveryTime
    }
}

/// One run of a ``FleetScenario`` under one ``FleetStrategy``.
package struct FleetSimulation: Hashable, Sendable {
    /// What is simulated.
    package var scenario: FleetScenario
    /// How the instances protect the downstream.
    package var strategy: FleetStrategy

    /// Creates a simulation.
    ///
    /// - Parameters:
    ///   - scenario: What is simulated.
    ///   - strategy: How the instances protect the downstream.
    package init(scenario: FleetScenario, strategy: FleetStrategy) {
        self.scenario = scenario
        self.strategy = strategy
    }

    /// What happens in a run.
    private struct Event {
        enum Kind: UInt8 {
            case request, outcome, sync
        }

        var instance: Int32
        var kind: Kind
        /// For an outcome, the call's slot in the table of calls in flight.
        var call: Int32
    }

    /// A call in flight: its permit, and whether it failed.
    private struct Call {
        var permit: CircuitBreakerStateMachine<SimulatedInstant>.Permit
        var failed: Bool
    }

    /// Runs the simulation. Each instance's requests come from a generator of their own, seeded from
    /// `seed` and the instance's number, so every strategy sees the same requests at the same times
    /// (common random numbers); call times and sync phases come from another, seeded from `seed`.
    ///
    /// - Parameter seed: The run's seed; the same seed gives the same result.
    /// - Returns: What the run measured.
    /// - Complexity: O(e log n) for e events and n instances, plus O(n) per sync under a shared
    ///   strategy (the fleet's decision reads every summary), so O(n²) per simulated second.
    package func run(seed: UInt64) -> FleetResult {
        let count = max(scenario.instances, 0)
        let outageStart = scenario.outageStart.saturatingNanoseconds
        let outageEnd = scenario.outageEnd
        let end = outageEnd &+ scenario.observation.saturatingNanoseconds
        let rate = scenario.requestRate.isFinite ? max(scenario.requestRate, 1e-9) : 1
        let breaker = scenario.breaker
        var fleet = scenario.fleet
        let hasBreaker: Bool
        let shared: Bool
        switch strategy.kind {
        case .none:
            (hasBreaker, shared) = (false, false)
        case .local:
            (hasBreaker, shared) = (true, false)
        case .shared(let rules):
            (hasBreaker, shared) = (true, true)
            fleet.rules = rules
        }
        let interval = max(fleet.syncInterval.saturatingNanoseconds, 1)

        var draws = SeededRandomNumberGenerator(seed: SimulationSweep.mix(seed))
        var arrivals = (0..<count).map { SeededRandomNumberGenerator(seed: SimulationSweep.mix(seed &+ UInt64($0) &+ 1)) }
        var latency = LatencySampler(scenario.latency)
        let names = (0..<count).map { "i\($0)" }
        var machines = [CircuitBreakerStateMachine<SimulatedInstant>](
            repeating: CircuitBreakerStateMachine(configuration: breaker, now: SimulatedInstant(nanoseconds: 0)),
            count: hasBreaker ? count : 0)
        var queue = EventQueue<Event>(capacity: count * 4)
        var calls: [Call?] = []
        var freeCalls: [Int32] = []
        var summaries: [FleetBreakerSummary] = []
        var summaryIndex = [Int](repeating: -1, count: count)
        var leases = FleetProbeLeases()

        func nextRequest(after time: Int64, instance: Int) -> Int64 {
            // Exponential gaps: u in (0, 1], so the logarithm is finite.
            let u = (Double(arrivals[instance].next() >> 11) + 1) * 0x1p-53
            return time &+ max(Int64((-log(u) / rate * 1e9).rounded()), 1)
        }
        for instance in 0..<count {
            queue.schedule(at: nextRequest(after: 0, instance: instance), Event(instance: Int32(instance), kind: .request, call: 0))
            if shared {
                let phase = Int64(draws.next() % UInt64(interval))
                queue.schedule(at: phase, Event(instance: Int32(instance), kind: .sync, call: 0))
            }
        }

        var result = FleetResult(outageCalls: 0, outageProbes: 0, returnProbes: 0, recoveryTime: nil)
        var notClosed = 0
        var allClosedSince: Int64 = 0
        func track(_ before: CircuitState, _ after: CircuitState, at time: Int64) {
            if before == .closed && after != .closed {
                notClosed += 1
            } else if before != .closed && after == .closed {
                notClosed -= 1
                if notClosed == 0 { allClosedSince = time }
            }
        }

        while let queued = queue.next(), queued.time <= end {
            let time = queued.time
            let event = queued.payload
            let instance = Int(event.instance)
            let now = SimulatedInstant(nanoseconds: time)
            switch event.kind {
            case .request:
                queue.schedule(at: nextRequest(after: time, instance: instance), event)
                let down = time >= outageStart && time < outageEnd
                guard hasBreaker else {
                    if down { result.outageCalls += 1 }
                    continue
                }
                let before = machines[instance].state
                let acquisition = machines[instance].acquire(at: now, configuration: breaker)
                track(before, machines[instance].state, at: time)
                guard let permit = acquisition.permit else { continue }
                let probe = permit.state == .halfOpen
                if down {
                    result.outageCalls += 1
                    if probe { result.outageProbes += 1 }
                } else if probe && time >= outageEnd {
                    result.returnProbes += 1
                }
                let slot: Int32
                if let free = freeCalls.popLast() {
                    slot = free
                    calls[Int(free)] = Call(permit: permit, failed: down)
                } else {
                    slot = Int32(calls.count)
                    calls.append(Call(permit: permit, failed: down))
                }
                queue.schedule(at: time &+ latency.next(using: &draws), Event(instance: event.instance, kind: .outcome, call: slot))
            case .outcome:
                guard let call = calls[Int(event.call)] else { continue }
                calls[Int(event.call)] = nil
                freeCalls.append(event.call)
                let before = machines[instance].state
                _ = machines[instance].record(call.failed ? .failure : .success, for: call.permit, at: now, configuration: breaker)
                track(before, machines[instance].state, at: time)
            case .sync:
                queue.schedule(at: time &+ interval, event)
                let report = machines[instance].fleetReport(instance: names[instance], at: now, unixTime: time, fleet: fleet)
                if summaryIndex[instance] < 0 {
                    summaryIndex[instance] = summaries.count
                    summaries.append(report.summary)
                } else {
                    summaries[summaryIndex[instance]] = report.summary
                }
                if let request = report.probeRequest {
                    leases.apply(request, from: names[instance], at: time, configuration: fleet)
                }
                let before = machines[instance].state
                _ = machines[instance].followFleet(
                    FleetBreakerView(summaries: summaries, leases: leases), acknowledging: report, instance: names[instance], at: now,
                    unixTime: time, configuration: breaker, fleet: fleet)
                track(before, machines[instance].state, at: time)
            }
        }
        if notClosed == 0 { result.recoveryTime = .nanoseconds(max(allClosedSince &- outageEnd, 0)) }
        return result
    }
}
