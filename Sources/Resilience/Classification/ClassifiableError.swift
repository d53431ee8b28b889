/// An error that knows its own ``ErrorClassification``.
///
/// Adopt it in your own error types so that ``ErrorClassifier/default`` (and every retry policy and
/// circuit breaker using it) treats them correctly without a custom classifier:
///
/// ```swift
/// struct LLMError: Error, ClassifiableError {
///     var status: Int
///     var retryAfterSeconds: Int?
///
///     var resilienceClassification: ErrorClassification {
///         switch status {
///         case 429: .rateLimited(retryAfter: retryAfterSeconds.map { .seconds($0) })
///         case 500, 502, 503, 504: .transient
///         default: .permanent
///         }
///     }
/// }
/// ```
public protocol ClassifiableError: Error {
    /// How resilience strategies should treat this error.
    var resilienceClassification: ErrorClassification { get }
}
