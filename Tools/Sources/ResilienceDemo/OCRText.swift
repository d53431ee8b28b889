/// What OCR read off a receipt: the OCR service's text, or the local OCR model's when the service was
/// down (the OCR fallback's value).
struct OCRText: Sendable, Hashable {
    /// The text.
    var text: String
    /// Whether the local OCR model read it, the service being down.
    var isLocal: Bool

    /// The local OCR model's reading of `receipt`: rougher than the service's, but there.
    static func local(_ receipt: Int) -> OCRText {
        OCRText(text: "RECEIPT \(receipt)\nTOTAL ~\(DemoFaultPlan.total(receipt)) (local OCR)", isLocal: true)
    }
}
