import ArgumentParser

/// The options of `resilience simulate`.
package struct SimulateOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Client counts: a range such as 10...190 or 10-190 (stepped by --step), a list such as 10,50,100, or both.",
            valueName: "counts"
        )
    )
    var clients = "10...190"

    // `.unconditional`, so that a negative number is taken as the value it is and refused as such,
    // rather than as an unknown option.

    @Option(parsing: .unconditional, help: ArgumentHelp("The step of client-count ranges.", valueName: "n"))
    var step = 10

    @Option(parsing: .unconditional, help: ArgumentHelp("Runs averaged per strategy and client count.", valueName: "n"))
    var runs = 100

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("The seed every run's seed derives from; the same seed gives the same output.", valueName: "n")
    )
    var seed: UInt64 = 1

    @Option(
        help: ArgumentHelp(
            "The strategies to compare: no-backoff, exponential (no jitter), full, equal, decorrelated, proportional[:F]. (default: all, proportional at 0.5)",
            valueName: "list"
        )
    )
    var strategies: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("The backoff's base: the n-th backoff is min(cap, base × 2^n) before jitter.", valueName: "duration"),
        transform: { try DurationArgument(parsing: $0) }
    )
    var base = DurationArgument(.milliseconds(5))

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("The backoff's cap.", valueName: "duration"),
        transform: { try DurationArgument(parsing: $0) }
    )
    var cap = DurationArgument(.seconds(2))

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
    package func sweep() throws(ArgumentError) -> SimulationSweep {
        guard (1...1_000_000).contains(runs) else { throw ArgumentError("--runs must be from 1 to 1000000, got \(runs)") }
        let counts: [Int]
        do {
            counts = try ClientCounts.parse(clients, step: step)
        } catch {
            throw ArgumentError("--clients: \(error.message)")
        }
        let base = base.duration
        let cap = cap.duration
        guard cap >= base else { throw ArgumentError("--cap must be at least --base") }
        // Event times are nanoseconds in an Int64: an hour-long cap keeps even 100,000 clients far from it.
        guard cap <= .seconds(3_600) else { throw ArgumentError("--cap must be at most 1h") }
        var chosen = ContentionStrategy.standard(base: base, cap: cap)
        if let strategies {
            chosen = []
            for name in strategies.split(separator: ",").map(String.init) {
                let strategy = try ContentionStrategy.named(name, base: base, cap: cap)
                if !chosen.contains(where: { $0.name == strategy.name }) { chosen.append(strategy) }
            }
            guard !chosen.isEmpty else { throw ArgumentError("--strategies must name at least one strategy") }
        }
        return SimulationSweep(clientCounts: counts, strategies: chosen, runs: runs, seed: seed)
    }
}
