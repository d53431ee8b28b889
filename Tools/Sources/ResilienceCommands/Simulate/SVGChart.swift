/// Renders ``SimulationResults`` as an SVG image: two line charts side by side, mean write calls and
/// mean completion time against the client count, one line per strategy, with axes, ticks, labels and
/// a legend. Plain SVG 1.1, readable in any browser.
package enum SVGChart {
    private static let panelWidth = 560.0
    private static let panelHeight = 420.0
    private static let margin = (left: 80.0, right: 20.0, top: 70.0, bottom: 60.0)
    private static let legendHeight = 40.0
    /// A palette that stays distinguishable for the colour-blind (Okabe-Ito), then a few more.
    private static let colors = [
        "#000000", "#E69F00", "#56B4E9", "#009E73", "#D55E00", "#CC79A7", "#0072B2", "#F0E442", "#999999", "#8B4513",
    ]

    /// The chart.
    ///
    /// - Parameter results: The sweep's results.
    /// - Returns: An SVG document.
    package static func render(_ results: SimulationResults) -> String {
        let width = panelWidth * 2
        let height = panelHeight + legendHeight + 30
        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(number(width))" height="\(number(height))" \
            viewBox="0 0 \(number(width)) \(number(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(number(width / 2))" y="22" text-anchor="middle" font-size="16" font-weight="bold">\
            Optimistic-concurrency contention: \(results.runs) runs per point, network \(escape(results.latency.description)) per hop, seed \(results.seed)</text>

            """
        svg += panel(
            results,
            title: "Write calls (mean per run)",
            axisLabel: "write calls",
            originX: 0,
            value: \.meanWriteCalls
        )
        svg += panel(
            results,
            title: "Completion time (mean per run)",
            axisLabel: "time of the last event, ms",
            originX: panelWidth,
            value: \.meanCompletionMilliseconds
        )
        svg += legend(results.strategies, top: panelHeight + 20, width: width)
        svg += "</svg>\n"
        return svg
    }

    private static func panel(
        _ results: SimulationResults,
        title: String,
        axisLabel: String,
        originX: Double,
        value: KeyPath<SimulationResults.Cell, Double>
    ) -> String {
        let left = originX + margin.left
        let right = originX + panelWidth - margin.right
        let top = margin.top
        let bottom = panelHeight - margin.bottom
        let xValues = results.clientCounts.map(Double.init)
        let xTicks = niceTicks(from: xValues.min() ?? 0, to: xValues.max() ?? 1)
        let yMax = results.cells.flatMap { $0.map { $0[keyPath: value] } }.filter(\.isFinite).max() ?? 1
        let yTicks = niceTicks(from: 0, to: max(yMax, 1e-9))
        let xRange = (xTicks.first ?? 0, xTicks.last ?? 1)
        let yRange = (yTicks.first ?? 0, yTicks.last ?? 1)
        func x(_ value: Double) -> Double {
            left + (value - xRange.0) / max(xRange.1 - xRange.0, 1e-12) * (right - left)
        }
        func y(_ value: Double) -> Double {
            bottom - (value - yRange.0) / max(yRange.1 - yRange.0, 1e-12) * (bottom - top)
        }

        var svg = "<g>\n"
        svg +=
            "<text x=\"\(number((left + right) / 2))\" y=\"\(number(top - 12))\" text-anchor=\"middle\" font-size=\"14\">\(escape(title))</text>\n"
        for tick in yTicks {
            let position = number(y(tick))
            svg += "<line x1=\"\(number(left))\" y1=\"\(position)\" x2=\"\(number(right))\" y2=\"\(position)\" stroke=\"#e4e4e4\"/>\n"
            svg +=
                "<text x=\"\(number(left - 6))\" y=\"\(position)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(tickLabel(tick))</text>\n"
        }
        for tick in xTicks {
            let position = number(x(tick))
            svg += "<line x1=\"\(position)\" y1=\"\(number(bottom))\" x2=\"\(position)\" y2=\"\(number(bottom + 5))\" stroke=\"black\"/>\n"
            svg += "<text x=\"\(position)\" y=\"\(number(bottom + 18))\" text-anchor=\"middle\">\(tickLabel(tick))</text>\n"
        }
        svg += "<line x1=\"\(number(left))\" y1=\"\(number(bottom))\" x2=\"\(number(right))\" y2=\"\(number(bottom))\" stroke=\"black\"/>\n"
        svg += "<line x1=\"\(number(left))\" y1=\"\(number(top))\" x2=\"\(number(left))\" y2=\"\(number(bottom))\" stroke=\"black\"/>\n"
        svg += "<text x=\"\(number((left + right) / 2))\" y=\"\(number(bottom + 40))\" text-anchor=\"middle\">clients</text>\n"
        let labelY = (top + bottom) / 2
        let labelX = left - 58
        svg +=
            "<text x=\"\(number(labelX))\" y=\"\(number(labelY))\" text-anchor=\"middle\" transform=\"rotate(-90 \(number(labelX)) \(number(labelY)))\">\(escape(axisLabel))</text>\n"

        for (row, strategy) in results.strategies.enumerated() {
            let color = colors[row % colors.count]
            let points = zip(xValues, results.cells[row]).map { "\(number(x($0)))," + number(y($1[keyPath: value])) }
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\">"
            svg += "<title>\(escape(strategy))</title></polyline>\n"
            for (clients, cell) in zip(xValues, results.cells[row]) {
                let reading = "\(escape(strategy)), \(Int(clients)) clients: \(SimulationReport.format(cell[keyPath: value]))"
                svg += "<circle cx=\"\(number(x(clients)))\" cy=\"\(number(y(cell[keyPath: value])))\" r=\"2.5\" fill=\"\(color)\">"
                svg += "<title>\(reading)</title></circle>\n"
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
            let y = top + legendHeight / 2
            let color = colors[index % colors.count]
            svg +=
                "<line x1=\"\(number(x))\" y1=\"\(number(y))\" x2=\"\(number(x + 24))\" y2=\"\(number(y))\" stroke=\"\(color)\" stroke-width=\"3\"/>\n"
            svg += "<text x=\"\(number(x + 30))\" y=\"\(number(y))\" dominant-baseline=\"middle\">\(escape(strategy))</text>\n"
        }
        svg += "</g>\n"
        return svg
    }

    /// About five round tick values covering `low...high` (steps of 1, 2 or 5 × 10ⁿ).
    static func niceTicks(from low: Double, to high: Double) -> [Double] {
        guard low.isFinite, high.isFinite else { return [0, 1] }
        let span = max(high - low, 1e-9)
        let rough = span / 5
        var magnitude = 1.0
        while magnitude * 10 <= rough { magnitude *= 10 }
        while magnitude > rough { magnitude /= 10 }
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? magnitude * 10
        let first = (low / step).rounded(.down) * step
        let last = (high / step).rounded(.up) * step
        var ticks: [Double] = []
        var tick = first
        while tick <= last + step / 2 && ticks.count < 50 {
            ticks.append(tick)
            tick += step
        }
        return ticks.count >= 2 ? ticks : [first, first + step]
    }

    private static func tickLabel(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return "\(Int64(value))" }
        return SimulationReport.format(value, decimals: 2)
    }

    private static func number(_ value: Double) -> String {
        SimulationReport.format(value, decimals: 1)
    }

    private static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
