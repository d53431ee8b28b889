import Resilience

/// An error that classifies itself, for tests that need a given category.
struct CategorizedError: Error, Equatable, ClassifiableError, CustomStringConvertible {
    var category: ErrorCategory
    var retryAfter: Duration?
    var id = 0

    var resilienceClassification: ErrorClassification {
        ErrorClassification(category, retryAfter: retryAfter)
    }

    var description: String { "CategorizedError(\(category), id: \(id))" }

    static let timeout = CategorizedError(category: .timeout)
    static let connection = CategorizedError(category: .connectionFailure)
    static let permanent = CategorizedError(category: .permanent)

    static func rateLimited(retryAfter: Duration? = nil) -> CategorizedError {
        CategorizedError(category: .rateLimited, retryAfter: retryAfter)
    }
}

/// A reference-type error, so tests can check the very instance thrown comes back.
final class IdentifiableError: Error, ClassifiableError {
    let resilienceClassification: ErrorClassification

    init(_ classification: ErrorClassification = .timeout) {
        resilienceClassification = classification
    }
}

/// An error the library knows nothing about (classified by the fallback: permanent).
struct UnknownError: Error, Equatable {}
