/// Renders ``SimulationResults`` as text tables and CSV.
package enum SimulationReport {
    /// Two tables, write calls and completion time, with a row per client count and a column per
    /// strategy.
    ///
    /// - Parameter results: The sweep's results.
    /// - Returns: The tables, ending with a newline.
    package static func table(_ results: SimulationResults) -> String {
        var text = "Mean write calls per run (\(results.runs) runs, seed \(results.seed))\n"
        text += grid(results) { format($0.meanWriteCalls) }
        text += "\nMean completion time per run, ms (\(results.runs) runs, seed \(results.seed))\n"
        text += grid(results) { format($0.meanCompletionMilliseconds) }
        return text
    }

    /// One row per strategy and client count: `clients,strategy,mean_write_calls,mean_completion_ms`.
    ///
    /// - Parameter results: The sweep's results.
    /// - Returns: The CSV, with a header line, ending with a newline.
    package static func csv(_ results: SimulationResults) -> String {
        var text = "clients,strategy,mean_write_calls,mean_completion_ms\n"
        for (column, clients) in results.clientCounts.enumerated() {
            for (row, strategy) in results.strategies.enumerated() {
                let cell = results.cells[row][column]
                text +=
                    "\(clients),\(strategy),\(format(cell.meanWriteCalls, decimals: 2)),\(format(cell.meanCompletionMilliseconds, decimals: 3))\n"
            }
        }
        return text
    }

    private static func grid(_ results: SimulationResults, value: (SimulationResults.Cell) -> String) -> String {
        let header = ["clients"] + results.strategies
        var rows = [header]
        for (column, clients) in results.clientCounts.enumerated() {
            rows.append(["\(clients)"] + results.strategies.indices.map { value(results.cells[$0][column]) })
        }
        let widths = header.indices.map { index in rows.map { $0[index].count }.max() ?? 0 }
        return
            rows.map { row in
                row.enumerated().map { index, cell in String(repeating: " ", count: widths[index] - cell.count) + cell }
                    .joined(separator: "  ")
            }
            .joined(separator: "\n") + "\n"
    }

    /// `value` with `decimals` decimals (fixed, no exponent).
    static func format(_ value: Double, decimals: Int = 1) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int64((abs(value) * scale).rounded())
        let whole = scaled / Int64(scale)
        let fraction = scaled % Int64(scale)
        let sign = value < 0 && scaled != 0 ? "-" : ""
        guard decimals > 0 else { return "\(sign)\(whole)" }
        let digits = String(fraction)
        return "\(sign)\(whole).\(String(repeating: "0", count: decimals - digits.count))\(digits)"
    }
}
