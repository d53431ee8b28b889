/// What one receipt came to.
struct ReceiptResult: Sendable, Hashable, Codable {
    /// Where a step's result came from.
    enum Source: String, Sendable, Hashable, Codable {
        /// The service answered.
        case service
        /// The fallback: local OCR, or the analysis skipped.
        case fallback
    }

    /// The receipt's number, from 0.
    var receipt: Int
    /// How it ended.
    var outcome: ReceiptOutcome
    /// The text OCR found, or `nil` when the receipt failed before it had any.
    var text: String?
    /// Where the text came from.
    var textSource: Source?
    /// The vision service's analysis, `skipped` when its fallback stood in.
    var analysis: String?
    /// Where the analysis came from.
    var analysisSource: Source?
    /// The requests sent to the OCR service for this receipt.
    var ocrAttempts: Int
    /// The requests sent to the vision service for this receipt.
    var visionAttempts: Int
    /// Why the receipt failed, or why a fallback stood in.
    var error: String?
    /// The failed attempts on the way, such as `ocr #1: timeout`.
    var faults: [String] = []
}
