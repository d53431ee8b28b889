import Foundation
import Resilience
import ResilienceCommands

/// A finished batch: its results, the breakers' transitions and the statistics, as the table and
/// report `resilience demo` prints, or as JSON.
struct DemoReport: Sendable, Codable {
    var seed: UInt64
    var receipts: Int
    var concurrency: Int
    var timeScale: Double
    /// The wall-clock time the batch took, in seconds.
    var elapsedSeconds: Double
    /// The batch's time on the demo's clock (the guide's seconds).
    var scaledSeconds: Double
    var ocrURL: String
    var visionURL: String
    var outcomes: ReceiptOutcomeCounts
    var results: [ReceiptResult]
    var breakerTransitions: [BreakerTransitionRecord]
    var statistics: ResilienceStatisticsSnapshot

    /// Whether every receipt ended processed or with a fallback.
    var succeeded: Bool { outcomes.failed == 0 && results.count == receipts }

    /// The report as JSON, keys sorted.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// The outcome table, the receipts that did not simply succeed, the breakers' transitions and the
    /// statistics report.
    func text(statisticsReport: String) -> String {
        var lines: [String] = []
        let elapsed = String(format: "%.1f", elapsedSeconds)
        let scaled = String(format: "%.0f", scaledSeconds)
        lines.append("")
        lines.append(
            "\(results.count) of \(receipts) receipts in \(elapsed) s (\(scaled) s of the guide's time at x\(Self.number(timeScale)); seed \(seed), \(concurrency) at once)"
        )
        lines.append("OCR \(ocrURL), vision \(visionURL)")
        lines.append("")
        lines.append("outcome                   receipts")
        lines.append("processed                 \(Self.pad(outcomes.processed))")
        lines.append("processed-with-fallback   \(Self.pad(outcomes.processedWithFallback))")
        lines.append("failed                    \(Self.pad(outcomes.failed))")
        let notable = results.filter { $0.outcome != .processed || $0.ocrAttempts > 1 || $0.visionAttempts > 1 }
        if !notable.isEmpty {
            lines.append("")
            lines.append(
                "receipt  outcome                  ocr tries  vision tries  text from  analysis    why (failed attempts, or the fallback's reason)"
            )
            for result in notable {
                lines.append(
                    [
                        Self.column("\(result.receipt)", 7), Self.column(result.outcome.rawValue, 23),
                        Self.column("\(result.ocrAttempts)", 9), Self.column("\(result.visionAttempts)", 12),
                        Self.column(result.textSource.map { $0 == .service ? "OCR" : "local OCR" } ?? "-", 9),
                        Self.column(result.analysis ?? "-", 10), ([result.error].compactMap { $0 } + result.faults).joined(separator: "; "),
                    ].joined(separator: "  ").trimmingTrailingSpaces)
            }
        }
        lines.append("")
        lines.append("Breaker transitions:")
        if breakerTransitions.isEmpty { lines.append("  none") }
        for record in breakerTransitions {
            lines.append(
                "  \(String(format: "%7.1f", record.seconds)) s  \(record.breaker): \(record.from) -> \(record.to) (\(record.reason))")
        }
        lines.append("")
        lines.append("Statistics:")
        lines.append(statisticsReport)
        return lines.joined(separator: "\n") + "\n"
    }

    static func pad(_ value: Int) -> String {
        let text = "\(value)"
        return String(repeating: " ", count: max(0, 8 - text.count)) + text
    }

    private static func column(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e9 ? "\(Int(value))" : "\(value)"
    }
}

extension String {
    /// The string without the spaces at its end.
    var trimmingTrailingSpaces: String {
        var text = Substring(self)
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
