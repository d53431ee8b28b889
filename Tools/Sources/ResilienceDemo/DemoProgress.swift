import Foundation
import ResilienceCommands

/// Shows the batch as it runs: on a terminal, a progress bar redrawn in place with each breaker
/// transition printed above it; otherwise one plain line per receipt and per transition. Silent for
/// `--json`.
final class DemoProgress: Sendable {
    enum Style: Sendable { case bar, lines, silent }

    let style: Style
    let total: Int
    private let counts = LockedState<(done: Int, fallback: Int, failed: Int)>((0, 0, 0))
    private let write: @Sendable (String) -> Void

    init(style: Style, total: Int, write: @escaping @Sendable (String) -> Void = DemoProgress.standardOutput) {
        self.style = style
        self.total = total
        self.write = write
    }

    /// Writes `text` to standard output at once.
    @Sendable static func standardOutput(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// The style for standard output: a bar on a terminal, lines otherwise.
    static func style(json: Bool) -> Style {
        json ? .silent : isatty(STDOUT_FILENO) == 1 ? .bar : .lines
    }

    /// The batch started: draws the empty bar.
    func start() {
        guard style == .bar else { return }
        counts.withLock { write("\r\u{1B}[2K" + bar($0)) }
    }

    /// A receipt ended.
    func finished(_ result: ReceiptResult) {
        // Written under the lock, so that a transition's line and the bar never interleave.
        counts.withLock { counts in
            counts.done += 1
            if result.outcome == .processedWithFallback { counts.fallback += 1 }
            if result.outcome == .failed { counts.failed += 1 }
            switch style {
            case .silent: return
            case .bar: write("\r\u{1B}[2K" + bar(counts))
            case .lines:
                let note = result.error.map { " (\($0))" } ?? ""
                write("receipt \(result.receipt): \(result.outcome.rawValue)\(note)\n")
            }
        }
    }

    /// A breaker changed state.
    func transition(_ record: BreakerTransitionRecord) {
        let line = "\(record.breaker): \(record.from) -> \(record.to) (\(record.reason)) at \(String(format: "%.1f", record.seconds)) s"
        counts.withLock { counts in
            switch style {
            case .silent: return
            case .bar: write("\r\u{1B}[2K\(line)\n" + bar(counts))
            case .lines: write(line + "\n")
            }
        }
    }

    /// Ends the bar's line.
    func end() {
        if style == .bar { counts.withLock { _ in write("\n") } }
    }

    private func bar(_ counts: (done: Int, fallback: Int, failed: Int)) -> String {
        let width = 30
        let filled = total == 0 ? width : counts.done * width / total
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            + "\(counts.done)/\(total) receipts, \(counts.fallback) with a fallback, \(counts.failed) failed"
    }
}
