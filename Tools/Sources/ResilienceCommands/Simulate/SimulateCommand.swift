import ArgumentParser
import Foundation
@_spi(ResilienceTools) import Resilience

/// `resilience simulate`: experiments on virtual time with the library's own strategies; `contention`
/// (the default) or `fleet`. A subcommand of `resilience`, and the whole of `resilience-simulate`.
package struct SimulateCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate on virtual time: clients contending for one row (backoff and jitter), or a fleet behind a failing downstream.",
        subcommands: [SimulateContentionCommand.self, SimulateFleetCommand.self],
        defaultSubcommand: SimulateContentionCommand.self
    )

    package init() {}

    /// Ends a simulation: prints `heading` and `table`, writes the CSV and the SVG where `output` asks
    /// (each made only when asked for), and tells standard error how long the simulation took.
    ///
    /// - Throws: `ValidationError` naming a file that cannot be written.
    static func finish(
        heading: String, table: String, csv: @autoclosure () -> String, svg: @autoclosure () -> String,
        output: SimulationOutputOptions, started: ContinuousClock.Instant
    ) throws {
        print(heading)
        print(table, terminator: "")
        fflush(nil)
        if let path = output.csv { try write(csv(), to: path) }
        if let path = output.svg { try write(svg(), to: path) }
        let elapsed = started.duration(to: .now)
        FileHandle.standardError.write(Data("resilience: simulated in \(String(format: "%.2f", elapsed.inSeconds)) s\n".utf8))
    }

    private static func write(_ text: String, to path: String) throws {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            throw ValidationError("cannot write \(path): \(error.localizedDescription)")
        }
    }
}

/// `resilience simulate [contention]`: Brooker's contention experiment with the library's backoff and jitter.
package struct SimulateContentionCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "contention",
        abstract: "Simulate clients contending for one row, to compare backoff and jitter strategies.",
        discussion: """
            Reproduces M. Brooker's experiment ("Exponential Backoff And Jitter", AWS Architecture Blog, \
            2015) with the library's own Backoff and Jitter: N clients each want one successful \
            optimistic-concurrency write to a single versioned row; each attempt is four network hops \
            of |Normal(10ms, 2ms)|; a failed client backs off (base 5ms, cap 2s) and tries again. \
            Prints the mean write calls and completion time per strategy and client count.

            Examples:
              resilience simulate
              resilience simulate --clients 100 --runs 1000 --strategies exponential,full
              resilience simulate --csv results.csv --svg results.svg
            """
    )

    @OptionGroup var options: SimulateOptions

    package init() {}

    package func run() async throws {
        let sweep = try options.sweep()
        let started = ContinuousClock.now
        let results = await sweep.run(parallelism: options.parallelism)
        try SimulateCommand.finish(
            heading: "Contention: network \(sweep.latency) per hop, \(sweep.runs) runs per cell, seed \(sweep.seed)\n",
            table: SimulationReport.table(results), csv: SimulationReport.csv(results), svg: SVGChart.render(results),
            output: options.output, started: started)
    }
}

/// `resilience simulate fleet`: a fleet of instances behind one downstream that goes down for a while.
package struct SimulateFleetCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Simulate a fleet behind one downstream that goes down, to compare local, shared and no circuit breakers.",
        discussion: """
            I instances each get 2 requests a second (Poisson) and call one downstream, which fails \
            every call for a minute from 30 s, then comes back. Each instance runs the library's \
            circuit breaker (open after 5 failures in a row, for 10 s). Under a shared strategy each \
            instance also syncs every second with a shared store (modelled in memory) through the \
            library's fleet rules and probe leases: shared-rate opens the fleet at a pooled failure \
            rate, shared-quorum when 3 instances are open on their own evidence. Prints the calls \
            the downstream received during the outage, the probes during it and when it came back, \
            and the time until every breaker is closed again.

            Examples:
              resilience simulate fleet
              resilience simulate fleet --instances 10,100,1000 --runs 10 --csv fleet.csv --svg fleet.svg
              resilience simulate fleet --instances 50 --rate 20 --break 5s --strategies local,shared-quorum
            """
    )

    @OptionGroup var options: FleetOptions

    package init() {}

    package func run() async throws {
        let sweep = try options.sweep()
        let started = ContinuousClock.now
        let results = await sweep.run(parallelism: options.parallelism)
        let scenario = sweep.scenario
        let heading =
            "Fleet: \(scenario.requestRate) requests/s per instance, outage at \(DurationArgument.format(scenario.outageStart)) "
            + "for \(DurationArgument.format(scenario.outageDuration)), breakers \(scenario.breaker.description), "
            + "sync every \(DurationArgument.format(scenario.fleet.syncInterval)), \(scenario.fleet.probeHolders) probe lease(s); "
            + "\(sweep.runs) runs per cell, seed \(sweep.seed)\n"
        try SimulateCommand.finish(
            heading: heading, table: FleetReport.table(results, outage: scenario.outageDuration), csv: FleetReport.csv(results),
            svg: FleetChart.render(results, outage: scenario.outageDuration), output: options.output, started: started)
    }
}
