import ArgumentParser
@_spi(ResilienceTools) import Resilience

/// The options of `resilience simulate fleet`.
package struct FleetOptions: ParsableArguments {
    /// The largest instance count accepted: a shared strategy's syncs cost O(n²) per simulated second.
    package static let maximumInstances = 2_000

    @Option(help: ArgumentHelp("Instance counts: a list such as 10,100,1000, a range stepped by --step, or both.", valueName: "counts"))
    var instances = "10,100,1000"

    @Option(parsing: .unconditional, help: ArgumentHelp("The step of instance-count ranges.", valueName: "n"))
    var step = 10

    @Option(parsing: .unconditional, help: ArgumentHelp("Runs averaged per strategy and instance count.", valueName: "n"))
    var runs = 5

    @Option(parsing: .unconditional, help: ArgumentHelp("The seed every run's seed derives from.", valueName: "n"))
    var seed: UInt64 = 1

    @Option(
        help: ArgumentHelp(
            "The strategies to compare: none, local, shared-rate, shared-quorum. (default: all)", valueName: "list"))
    var strategies: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Requests per second to each instance.", valueName: "rate"))
    var rate = 2.0

    @Option(
        name: .customLong("outage-start"), parsing: .unconditional,
        help: ArgumentHelp("When the downstream goes down.", valueName: "duration"),
        transform: { try DurationArgument(parsing: $0) })
    var outageStart = DurationArgument(.seconds(30))

    @Option(
        parsing: .unconditional, help: ArgumentHelp("How long the downstream stays down.", valueName: "duration"),
        transform: { try DurationArgument(parsing: $0) })
    var outage = DurationArgument(.seconds(60))

    @Option(
        parsing: .unconditional, help: ArgumentHelp("How long the run goes on after the downstream is back.", valueName: "duration"),
        transform: { try DurationArgument(parsing: $0) })
    var observe = DurationArgument(.seconds(60))

    @Option(parsing: .unconditional, help: ArgumentHelp("Each local breaker opens after this many failures in a row.", valueName: "n"))
    var threshold = 5

    @Option(
        name: .customLong("break"), parsing: .unconditional, help: ArgumentHelp("How long a breaker stays open.", valueName: "duration"),
        transform: { try DurationArgument(parsing: $0) })
    var breakDuration = DurationArgument(.seconds(10))

    @Option(
        parsing: .unconditional, help: ArgumentHelp("How often each instance syncs with the fleet.", valueName: "duration"),
        transform: { try DurationArgument(parsing: $0) })
    var sync = DurationArgument(.seconds(1))

    @Option(
        parsing: .unconditional, help: ArgumentHelp("How long an instance stays live without a heartbeat.", valueName: "duration"),
        transform: { try DurationArgument(parsing: $0) })
    var ttl = DurationArgument(.seconds(5))

    @Option(parsing: .unconditional, help: ArgumentHelp("The most instances probing at once, fleet-wide.", valueName: "n"))
    var probes = 1

    @Option(
        name: .customLong("pooled-rate"), parsing: .unconditional,
        help: ArgumentHelp("shared-rate: the pooled failure rate that opens the fleet.", valueName: "rate"))
    var pooledRate = 0.5

    @Option(
        name: .customLong("minimum-throughput"), parsing: .unconditional,
        help: ArgumentHelp("The fewest pooled calls before the fleet has an opinion.", valueName: "n"))
    var minimumThroughput = 20

    @Option(parsing: .unconditional, help: ArgumentHelp("shared-quorum: the instances that, open, open the fleet.", valueName: "n"))
    var quorum = 3

    @OptionGroup var output: SimulationOutputOptions

    /// Creates the options with their defaults (for ArgumentParser).
    package init() {}

    /// Checks the options together; ArgumentParser calls it after parsing.
    ///
    /// - Throws: `ValidationError` naming the option at fault.
    package mutating func validate() throws {
        do {
            _ = try sweep()
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// How many cells to simulate at once.
    package var parallelism: Int { output.parallelism }

    /// The sweep the options describe.
    ///
    /// - Returns: The sweep.
    /// - Throws: ``ArgumentError`` naming the option at fault.
    package func sweep() throws(ArgumentError) -> FleetSweep {
        guard (1...10_000).contains(runs) else { throw ArgumentError("--runs must be from 1 to 10000, got \(runs)") }
        let counts: [Int]
        do {
            counts = try ClientCounts.parse(instances, step: step)
        } catch {
            throw ArgumentError("--instances: \(error.message)")
        }
        if let largest = counts.max(), largest > Self.maximumInstances {
            throw ArgumentError("--instances must be at most \(Self.maximumInstances), got \(largest)")
        }
        guard rate.isFinite, rate > 0, rate <= 1_000 else { throw ArgumentError("--rate must be above 0 and at most 1000, got \(rate)") }
        let hour = Duration.seconds(3_600)
        guard outage.duration > .zero, outage.duration <= hour else { throw ArgumentError("--outage must be above 0 and at most 1h") }
        guard outageStart.duration <= hour else { throw ArgumentError("--outage-start must be at most 1h") }
        guard observe.duration <= hour else { throw ArgumentError("--observe must be at most 1h") }
        guard threshold >= 1 else { throw ArgumentError("--threshold must be at least 1, got \(threshold)") }
        guard breakDuration.duration > .zero, breakDuration.duration <= hour else {
            throw ArgumentError("--break must be above 0 and at most 1h")
        }
        let fleet: FleetConfiguration
        do {
            fleet = try FleetConfiguration(
                syncInterval: sync.duration, timeToLive: ttl.duration, staleAfter: max(sync.duration * 3, sync.duration),
                probeHolders: probes, probeLeaseDuration: .seconds(10),
                rules: FleetBreakerRules(failureRateThreshold: pooledRate, minimumThroughput: minimumThroughput, quorum: quorum))
        } catch {
            let option =
                switch error.field {
                case "syncInterval": "--sync"
                case "timeToLive": "--ttl"
                case "probeHolders": "--probes"
                case "failureRateThreshold", "rules.failureRateThreshold": "--pooled-rate"
                case "minimumThroughput", "rules.minimumThroughput": "--minimum-throughput"
                case "quorum", "rules.quorum": "--quorum"
                default: error.field
                }
            throw ArgumentError("\(option) \(error.reason)")
        }
        var chosen = FleetStrategy.standard(failureRate: pooledRate, minimumThroughput: minimumThroughput, quorum: quorum)
        if let strategies {
            let all = chosen
            chosen = []
            for name in strategies.split(separator: ",").map({ String($0).trimmingSpaces() }) {
                guard let strategy = all.first(where: { $0.name == name }) else {
                    throw ArgumentError(
                        "unknown strategy \"\(name)\" in --strategies; expected \(all.map(\.name).joined(separator: ", "))")
                }
                if !chosen.contains(strategy) { chosen.append(strategy) }
            }
            guard !chosen.isEmpty else { throw ArgumentError("--strategies must name at least one strategy") }
        }
        var scenario = FleetScenario.standard(instances: 0)
        scenario.requestRate = rate
        scenario.outageStart = outageStart.duration
        scenario.outageDuration = outage.duration
        scenario.observation = observe.duration
        scenario.breaker = .consecutiveFailures(threshold, breakDuration: breakDuration.duration)
        scenario.fleet = fleet
        return FleetSweep(instanceCounts: counts, strategies: chosen, runs: runs, seed: seed, scenario: scenario)
    }
}
