/// Renders ``FleetResults`` as text tables and CSV.
package enum FleetReport {
    /// Four tables, a row per instance count and a column per strategy: calls during the outage,
    /// probes during the outage, probes after the downstream came back, and the time to recover.
    ///
    /// - Parameters:
    ///   - results: The sweep's results.
    ///   - outage: How long the outage lasted, for the titles.
    /// - Returns: The tables, ending with a newline.
    package static func table(_ results: FleetResults, outage: Duration) -> String {
        let runs = "\(results.runs) run\(results.runs == 1 ? "" : "s"), seed \(results.seed)"
        var text = "Calls the downstream received during its \(DurationArgument.format(outage)) outage (mean of \(runs))\n"
        text += grid(results) { SimulationReport.format($0.outageCalls) }
        text += "\nProbes during the outage (mean of \(runs))\n"
        text += grid(results) { SimulationReport.format($0.outageProbes) }
        text += "\nProbes when it came back (mean of \(runs))\n"
        text += grid(results) { SimulationReport.format($0.returnProbes) }
        text += "\nTime to recover: seconds from its return until every breaker is closed (mean of the runs that recovered)\n"
        text += grid(results) { cell in
            guard let seconds = cell.recoverySeconds else { return "never" }
            let all = cell.recoveredRuns == results.runs ? "" : " (\(cell.recoveredRuns)/\(results.runs))"
            return SimulationReport.format(seconds, decimals: 2) + all
        }
        return text
    }

    /// One row per strategy and instance count:
    /// `instances,strategy,outage_calls,outage_probes,return_probes,recovery_s,recovered_runs`
    /// (`recovery_s` empty when no run recovered).
    ///
    /// - Parameter results: The sweep's results.
    /// - Returns: The CSV, with a header line, ending with a newline.
    package static func csv(_ results: FleetResults) -> String {
        var text = "instances,strategy,outage_calls,outage_probes,return_probes,recovery_s,recovered_runs\n"
        for (column, instances) in results.instanceCounts.enumerated() {
            for (row, strategy) in results.strategies.enumerated() {
                let cell = results.cells[row][column]
                let recovery = cell.recoverySeconds.map { SimulationReport.format($0, decimals: 3) } ?? ""
                text += "\(instances),\(strategy),\(SimulationReport.format(cell.outageCalls, decimals: 2)),"
                text +=
                    "\(SimulationReport.format(cell.outageProbes, decimals: 2)),\(SimulationReport.format(cell.returnProbes, decimals: 2)),"
                text += "\(recovery),\(cell.recoveredRuns)\n"
            }
        }
        return text
    }

    private static func grid(_ results: FleetResults, value: (FleetResults.Cell) -> String) -> String {
        let header = ["instances"] + results.strategies
        var rows = [header]
        for (column, instances) in results.instanceCounts.enumerated() {
            rows.append(["\(instances)"] + results.strategies.indices.map { value(results.cells[$0][column]) })
        }
        let widths = header.indices.map { index in rows.map { $0[index].count }.max() ?? 0 }
        return
            rows.map { row in
                row.enumerated().map { index, cell in String(repeating: " ", count: widths[index] - cell.count) + cell }
                    .joined(separator: "  ")
            }
            .joined(separator: "\n") + "\n"
    }
}
