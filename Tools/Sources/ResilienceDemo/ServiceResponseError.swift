import HTTPTypes
import Resilience
import ResilienceCommands

/// A service's final answer was a failing response (a 503 the retries ended on, a 422): the call's
/// error, classified as its response was, so that the fallbacks decide on it like on any error.
struct ServiceResponseError: Error, Sendable, Hashable, ClassifiableError, CustomStringConvertible {
    /// `ocr` or `vision`.
    var service: String
    /// The response's status code.
    var status: Int
    /// The response's classification.
    var classification: ErrorClassification

    var resilienceClassification: ErrorClassification { classification }

    var description: String {
        let hint = classification.retryAfter.map { ", retry after \(Int($0.components.seconds)) s" } ?? ""
        return "\(service) answered \(status) (\(classification.category)\(hint))"
    }
}
