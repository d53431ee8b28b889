/// The vision service's analysis of a receipt, or ``skipped`` when the service was down (the vision
/// fallback's value).
struct Analysis: Sendable, Hashable, CustomStringConvertible {
    /// The receipt's category, such as `grocery`; `nil` when skipped.
    var category: String?

    /// No analysis: the vision service was down.
    static let skipped = Analysis(category: nil)

    /// Whether the analysis was skipped.
    var isSkipped: Bool { category == nil }

    /// The category, or `skipped`.
    var description: String { category ?? "skipped" }
}
