/// How a receipt ended.
enum ReceiptOutcome: String, Sendable, Hashable, Codable, CaseIterable {
    /// Both services answered.
    case processed
    /// A service was down and its fallback stood in: local OCR for the OCR service, a skipped
    /// analysis for the vision service.
    case processedWithFallback = "processed-with-fallback"
    /// A service refused the receipt for good, or something else failed: the receipt has no result.
    case failed
}

/// How many receipts ended each way.
struct ReceiptOutcomeCounts: Sendable, Hashable, Codable, CustomStringConvertible {
    var processed: Int
    var processedWithFallback: Int
    var failed: Int

    /// The counts of `results`' outcomes.
    init(_ results: [ReceiptResult]) {
        processed = results.count { $0.outcome == .processed }
        processedWithFallback = results.count { $0.outcome == .processedWithFallback }
        failed = results.count { $0.outcome == .failed }
    }

    init(processed: Int, processedWithFallback: Int, failed: Int) {
        self.processed = processed
        self.processedWithFallback = processedWithFallback
        self.failed = failed
    }

    enum CodingKeys: String, CodingKey {
        case processed
        case processedWithFallback = "processed-with-fallback"
        case failed
    }

    var description: String {
        "\(processed) processed, \(processedWithFallback) with a fallback, \(failed) failed"
    }
}
