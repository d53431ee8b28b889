import ArgumentParser

/// What `resilience simulate` and `resilience simulate fleet` share: where the results go besides the
/// table (`--csv`, `--svg`), and how many cells run at once (`--jobs`).
package struct SimulationOutputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Also write the results as CSV to this file.", valueName: "file"))
    var csv: String?

    @Option(help: ArgumentHelp("Also draw the results as an SVG chart in this file.", valueName: "file"))
    var svg: String?

    @Option(
        parsing: .unconditional, help: ArgumentHelp("How many cells to simulate at once. (default: the number of cores)", valueName: "n"))
    var jobs: Int?

    /// Creates the options with their defaults (for ArgumentParser).
    package init() {}

    /// Checks `--jobs`; ArgumentParser calls it after parsing.
    ///
    /// - Throws: `ValidationError` naming the option.
    package mutating func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
    }

    /// How many cells to simulate at once: `--jobs`, or the number of cores.
    package var parallelism: Int { jobs ?? SimulationSweep.processorCount }
}
