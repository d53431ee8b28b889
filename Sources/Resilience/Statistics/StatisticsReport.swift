/// The human report of a ``ResilienceStatisticsSnapshot``: sections of rows (label, value, share of the
/// section's calls), aligned as one table, a blank line before each pipeline, strategy on its own and
/// breaker.
struct StatisticsReport {
    private struct Row {
        var indent: Int
        var label: String
        var value: String
        var share: String

        var isTitle: Bool { value.isEmpty && share.isEmpty }
        var labelWidth: Int { indent * 2 + label.count }
    }

    private var rows: [Row] = []
    /// Whether no pipeline or strategy reported anything.
    private let hasNoEvents: Bool

    init(_ snapshot: ResilienceStatisticsSnapshot) {
        hasNoEvents = snapshot.pipelines.isEmpty && snapshot.strategies.isEmpty
        let pipelineNames = Set(snapshot.pipelines.map(\.name)).union(snapshot.strategies.compactMap(\.pipeline)).sorted()
        for name in pipelineNames {
            title("pipeline \(name)", indent: 0)
            if let pipeline = snapshot.pipeline(named: name) {
                addCalls(pipeline.calls, indent: 1)
            }
            for strategy in snapshot.strategies where strategy.pipeline == name {
                title("strategy \(strategy.name)", indent: 1)
                addStrategy(strategy, indent: 2)
            }
        }
        for strategy in snapshot.strategies where strategy.pipeline == nil {
            title("strategy \(strategy.name)", indent: 0)
            addStrategy(strategy, indent: 1)
        }
        for breaker in snapshot.breakers {
            title("circuit breaker \(breaker.name)", indent: 0)
            addBreaker(breaker.snapshot, indent: 1)
        }
    }

    /// The report's text, without a final newline.
    var text: String {
        let heading = hasNoEvents ? "Resilience statistics: no calls yet" : "Resilience statistics"
        let labelWidth = rows.filter { !$0.isTitle }.map(\.labelWidth).max() ?? 0
        let valueWidth = rows.map(\.value.count).max() ?? 0
        let shareWidth = rows.map(\.share.count).max() ?? 0
        var lines = [heading]
        for row in rows {
            if row.indent == 0 { lines.append("") }
            var line = String(repeating: "  ", count: row.indent) + row.label
            if !row.isTitle {
                line += String(repeating: " ", count: labelWidth - row.labelWidth + 2)
                line += Self.padded(row.value, to: valueWidth)
                if !row.share.isEmpty { line += "  " + Self.padded(row.share, to: shareWidth) }
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    // MARK: - Sections

    private mutating func addCalls(_ calls: CallStatistics, indent: Int) {
        guard calls.total > 0 else { return }
        let total = calls.total
        row("total calls", "\(total)", indent: indent)
        row("succeeded", "\(calls.successes)", share: Self.share(calls.successes, of: total), indent: indent)
        row("failed", "\(calls.failures)", share: Self.share(calls.failures, of: total), indent: indent)
        for (category, count) in Self.ordered(calls.failuresByCategory) {
            row(category.name, "\(count)", share: Self.share(count, of: total), indent: indent + 1)
        }
        if calls.rejectedResults > 0 {
            row("rejected result", "\(calls.rejectedResults)", share: Self.share(calls.rejectedResults, of: total), indent: indent + 1)
        }
        if !calls.failuresByStopReason.isEmpty {
            title("stopped retrying", indent: indent)
            for (reason, count) in Self.ordered(calls.failuresByStopReason) {
                row(reason.description, "\(count)", share: Self.share(count, of: total), indent: indent + 1)
            }
        }
        if let average = calls.averageAttempts {
            title("calls by attempts", indent: indent)
            for (attempts, count) in calls.byAttempts.sorted(by: { $0.key < $1.key }) {
                row(
                    attempts == 1 ? "1 attempt" : "\(attempts) attempts", "\(count)", share: Self.share(count, of: total),
                    indent: indent + 1)
            }
            row("average attempts per call", Self.fixed(average, decimals: 2), indent: indent)
        }
        if let mean = calls.meanDuration {
            row("mean call time", Self.format(mean), indent: indent)
        }
    }

    private mutating func addStrategy(_ strategy: StrategyStatistics, indent: Int) {
        addCalls(strategy.calls, indent: indent)
        if strategy.retriesScheduled > 0 {
            row("retries scheduled", "\(strategy.retriesScheduled)", indent: indent)
            row("time waiting", Self.format(strategy.retryWait), indent: indent)
        }
        if let mean = strategy.meanAttemptTime {
            row("time in attempts", Self.format(strategy.attemptTime), indent: indent)
            row("mean attempt time", Self.format(mean), indent: indent)
        }
        if strategy.timeouts > 0 {
            row("timeouts", "\(strategy.timeouts)", indent: indent)
        }
        let rejections = strategy.rejections
        if rejections.total > 0 {
            row("rejections", "\(rejections.total)", indent: indent)
            for (state, count) in Self.ordered(rejections.byCircuitState) {
                row("circuit \(state.name)", "\(count)", indent: indent + 1)
            }
            for (reason, count) in Self.ordered(rejections.byLimitReason) {
                row("limiter \(reason.name)", "\(count)", indent: indent + 1)
            }
            if rejections.retryBudget > 0 {
                row("retry budget", "\(rejections.retryBudget)", indent: indent + 1)
            }
        }
        if strategy.fallbacks > 0 {
            row("fallbacks", "\(strategy.fallbacks)", indent: indent)
            for (category, count) in Self.ordered(strategy.fallbacksByCategory) {
                row("after \(category.name)", "\(count)", indent: indent + 1)
            }
        }
        if strategy.hedges > 0 {
            row("hedged attempts", "\(strategy.hedges)", indent: indent)
        }
        if strategy.faultsInjected > 0 {
            row("faults injected", "\(strategy.faultsInjected)", indent: indent)
        }
        if let state = strategy.circuitState {
            row("circuit state", state.name, indent: indent)
            row("circuit state changes", "\(strategy.circuitStateChanges)", indent: indent)
        }
    }

    private mutating func addBreaker(_ snapshot: CircuitBreakerSnapshot, indent: Int) {
        row("state", snapshot.state.name, indent: indent)
        if let wait = snapshot.timeUntilHalfOpen {
            row("half-open in", Self.format(wait), indent: indent)
        }
        row("calls in window", "\(snapshot.calls)", indent: indent)
        row("failed in window", "\(snapshot.failures)", share: Self.share(snapshot.failures, of: snapshot.calls), indent: indent)
        if snapshot.slowCalls > 0 {
            row("slow in window", "\(snapshot.slowCalls)", share: Self.share(snapshot.slowCalls, of: snapshot.calls), indent: indent)
        }
        if snapshot.state == .halfOpen {
            row("probes in flight", "\(snapshot.probesInFlight)", indent: indent)
        }
        row("rejected calls", "\(snapshot.rejectedCalls)", indent: indent)
    }

    // MARK: - Rows

    private mutating func title(_ label: String, indent: Int) {
        rows.append(Row(indent: indent, label: label, value: "", share: ""))
    }

    private mutating func row(_ label: String, _ value: String, share: String = "", indent: Int) {
        rows.append(Row(indent: indent, label: label, value: value, share: share))
    }

    // MARK: - Formatting

    /// The entries, most frequent first, ties by name.
    private static func ordered<Name: StatisticsCountKey>(_ counts: [Name: Int]) -> [(key: Name, value: Int)] {
        counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.statisticsName < $1.key.statisticsName }
    }

    /// `count` as a percentage of `total` with one decimal, such as `97.5%`; empty when `total` is zero.
    static func share(_ count: Int, of total: Int) -> String {
        guard total > 0 else { return "" }
        return fixed(Double(count) / Double(total) * 100, decimals: 1) + "%"
    }

    /// A duration in the largest unit that keeps it at 1 or more: `850 ns`, `12.5 µs`, `250.0 ms`, `3.500 s`.
    static func format(_ duration: Duration) -> String {
        let nanoseconds = duration.saturatingNanoseconds
        switch nanoseconds {
        case ..<1_000: return "\(nanoseconds) ns"
        case ..<1_000_000: return fixed(Double(nanoseconds) / 1e3, decimals: 1) + " µs"
        case ..<1_000_000_000: return fixed(Double(nanoseconds) / 1e6, decimals: 1) + " ms"
        default: return fixed(Double(nanoseconds) / 1e9, decimals: 3) + " s"
        }
    }

    /// `value` rounded to `decimals` decimals (half away from zero), without Foundation.
    static func fixed(_ value: Double, decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (value * scale).rounded()
        guard scaled.isFinite, abs(scaled) < 9.2e18 else { return "\(value)" }
        let units = Int64(scaled)
        let magnitude = units.magnitude
        let divisor = UInt64(scale)
        var text = units < 0 ? "-" : ""
        text += String(magnitude / divisor)
        guard decimals > 0 else { return text }
        var fraction = String(magnitude % divisor)
        while fraction.count < decimals { fraction = "0" + fraction }
        return text + "." + fraction
    }

    private static func padded(_ text: String, to width: Int) -> String {
        String(repeating: " ", count: max(width - text.count, 0)) + text
    }
}
