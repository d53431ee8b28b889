#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Renders ``FleetResults`` as an SVG image: four line charts against the instance count (calls
/// during the outage, probes during it, probes when it came back, time to recover), one line per
/// strategy, with a legend. The instance axis is logarithmic, and so are the calls and probes (a cut by
/// the fleet's size is a constant gap); zeros, which a logarithm cannot show, are left out. Plain SVG
/// 1.1.
package enum FleetChart {
    private static let panelWidth = 520.0
    private static let panelHeight = 360.0
    private static let margin = (left: 80.0, right: 20.0, top: 50.0, bottom: 55.0)
    private static let colors = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#D55E00", "#CC79A7", "#0072B2", "#999999"]

    /// The chart.
    ///
    /// - Parameters:
    ///   - results: The sweep's results.
    ///   - outage: How long the outage lasted, for the title.
    /// - Returns: An SVG document.
    package static func render(_ results: FleetResults, outage: Duration) -> String {
        let width = panelWidth * 2
        let height = panelHeight * 2 + 90
        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(number(width))" height="\(number(height))" \
            viewBox="0 0 \(number(width)) \(number(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(number(width / 2))" y="22" text-anchor="middle" font-size="16" font-weight="bold">\
            A fleet behind one downstream down for \(DurationArgument.format(outage)): \(results.runs) runs per point, seed \(results.seed)</text>

            """
        let panels: [(String, Bool, (FleetResults.Cell) -> Double?)] = [
            ("Calls during the outage", true, { $0.outageCalls }),
            ("Probes during the outage", true, { $0.outageProbes }),
            ("Probes when it came back", true, { $0.returnProbes }),
            ("Time to recover, s", false, { $0.recoverySeconds }),
        ]
        for (index, panel) in panels.enumerated() {
            svg += self.panel(
                results, title: panel.0, logarithmic: panel.1, originX: Double(index % 2) * panelWidth,
                originY: 30 + Double(index / 2) * panelHeight, value: panel.2)
        }
        svg += legend(results.strategies, top: 30 + panelHeight * 2 + 10, width: width)
        svg += "</svg>\n"
        return svg
    }

    private static func panel(
        _ results: FleetResults,
        title: String,
        logarithmic: Bool,
        originX: Double,
        originY: Double,
        value: (FleetResults.Cell) -> Double?
    ) -> String {
        let left = originX + margin.left
        let right = originX + panelWidth - margin.right
        let top = originY + margin.top
        let bottom = originY + panelHeight - margin.bottom
        let xs = results.instanceCounts.map { log10(Double(max($0, 1))) }
        let xLow = (xs.min() ?? 0).rounded(.down)
        let xHigh = max((xs.max() ?? 1).rounded(.up), xLow + 1)
        let values = results.cells.flatMap { $0.compactMap(value) }.filter { $0.isFinite && (!logarithmic || $0 > 0) }
        let yTicks: [Double]
        if logarithmic {
            let low = (values.map(log10).min() ?? 0).rounded(.down)
            let high = max((values.map(log10).max() ?? 1).rounded(.up), low + 1)
            yTicks = stride(from: low, through: high, by: 1).map { $0 }
        } else {
            yTicks = SVGChart.niceTicks(from: 0, to: max(values.max() ?? 1, 1e-9))
        }
        let yRange = (yTicks.first ?? 0, yTicks.last ?? 1)
        func x(_ value: Double) -> Double {
            left + (value - xLow) / max(xHigh - xLow, 1e-12) * (right - left)
        }
        func y(_ value: Double) -> Double {
            bottom - (value - yRange.0) / max(yRange.1 - yRange.0, 1e-12) * (bottom - top)
        }

        var svg = "<g>\n"
        svg += "<text x=\"\(number((left + right) / 2))\" y=\"\(number(top - 14))\" text-anchor=\"middle\" font-size=\"14\">"
        svg += "\(title)\(logarithmic ? " (log scale)" : "")</text>\n"
        for tick in yTicks {
            let position = number(y(tick))
            let label = logarithmic ? power(tick) : SimulationReport.format(tick, decimals: tick == tick.rounded() ? 0 : 1)
            svg += "<line x1=\"\(number(left))\" y1=\"\(position)\" x2=\"\(number(right))\" y2=\"\(position)\" stroke=\"#e4e4e4\"/>\n"
            svg += "<text x=\"\(number(left - 6))\" y=\"\(position)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(label)</text>\n"
        }
        for tick in stride(from: xLow, through: xHigh, by: 1) {
            let position = number(x(tick))
            svg += "<line x1=\"\(position)\" y1=\"\(number(bottom))\" x2=\"\(position)\" y2=\"\(number(bottom + 5))\" stroke=\"black\"/>\n"
            svg += "<text x=\"\(position)\" y=\"\(number(bottom + 18))\" text-anchor=\"middle\">\(power(tick))</text>\n"
        }
        svg += "<line x1=\"\(number(left))\" y1=\"\(number(bottom))\" x2=\"\(number(right))\" y2=\"\(number(bottom))\" stroke=\"black\"/>\n"
        svg += "<line x1=\"\(number(left))\" y1=\"\(number(top))\" x2=\"\(number(left))\" y2=\"\(number(bottom))\" stroke=\"black\"/>\n"
        svg += "<text x=\"\(number((left + right) / 2))\" y=\"\(number(bottom + 38))\" text-anchor=\"middle\">instances</text>\n"

        for (row, strategy) in results.strategies.enumerated() {
            let color = colors[row % colors.count]
            var points: [(Double, Double, Int, Double)] = []
            for (column, instances) in results.instanceCounts.enumerated() {
                guard let reading = value(results.cells[row][column]), reading.isFinite, !logarithmic || reading > 0 else { continue }
                points.append((x(xs[column]), y(logarithmic ? log10(reading) : reading), instances, reading))
            }
            guard !points.isEmpty else { continue }
            let line = points.map { "\(number($0.0)),\(number($0.1))" }.joined(separator: " ")
            svg +=
                "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(line)\"><title>\(strategy)</title></polyline>\n"
            for point in points {
                svg += "<circle cx=\"\(number(point.0))\" cy=\"\(number(point.1))\" r=\"3\" fill=\"\(color)\">"
                svg += "<title>\(strategy), \(point.2) instances: \(SimulationReport.format(point.3))</title></circle>\n"
            }
        }
        svg += "</g>\n"
        return svg
    }

    private static func legend(_ strategies: [String], top: Double, width: Double) -> String {
        let entryWidth = min(180.0, (width - 40) / Double(max(strategies.count, 1)))
        let start = (width - entryWidth * Double(strategies.count)) / 2
        var svg = "<g>\n"
        for (index, strategy) in strategies.enumerated() {
            let x = start + entryWidth * Double(index)
            let y = top + 15
            let color = colors[index % colors.count]
            svg +=
                "<line x1=\"\(number(x))\" y1=\"\(number(y))\" x2=\"\(number(x + 24))\" y2=\"\(number(y))\" stroke=\"\(color)\" stroke-width=\"3\"/>\n"
            svg += "<text x=\"\(number(x + 30))\" y=\"\(number(y))\" dominant-baseline=\"middle\">\(strategy)</text>\n"
        }
        svg += "</g>\n"
        return svg
    }

    /// `10^exponent` as a label: `1`, `10`, `1000`, or `1e6` beyond.
    private static func power(_ exponent: Double) -> String {
        guard exponent >= 0, exponent <= 5 else { return "1e\(Int(exponent))" }
        var value = 1
        for _ in 0..<Int(exponent) { value *= 10 }
        return "\(value)"
    }

    private static func number(_ value: Double) -> String {
        SimulationReport.format(value, decimals: 1)
    }
}
