import ArgumentParser
import Foundation
@_spi(ResilienceTools) import Resilience
import ResilienceCommands

/// `resilience simulate`: Brooker's contention experiment with the library's backoff and jitter.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
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

    func run() async throws {
        let sweep = try options.sweep()
        let started = ContinuousClock.now
        let results = await sweep.run(parallelism: options.parallelism)
        let elapsed = started.duration(to: .now)
        print("Contention: network \(sweep.latency) per hop, \(sweep.runs) runs per cell, seed \(sweep.seed)\n")
        print(SimulationReport.table(results), terminator: "")
        fflush(nil)
        try write(SimulationReport.csv(results), to: options.csvPath)
        try write(SVGChart.render(results), to: options.svgPath)
        FileHandle.standardError.write(Data("resilience: simulated in \(String(format: "%.2f", elapsed.inSeconds)) s\n".utf8))
    }

    private func write(_ text: String, to path: String?) throws {
        guard let path else { return }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            throw ValidationError("cannot write \(path): \(error.localizedDescription)")
        }
    }
}
