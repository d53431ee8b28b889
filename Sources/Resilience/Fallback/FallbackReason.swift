/// Why a ``Fallback`` runs: the primary operation's error and its classification.
///
/// ```swift
/// let analysis = Fallback<Analysis>(handling: [.rejected, .timeout]) { reason in
///     if let rejection = reason.circuitOpenError {
///         logger.notice("vision breaker \(rejection.breakerName) is \(rejection.state)")
///     }
///     return .skipped
/// }
/// ```
public struct FallbackReason: Sendable, CustomStringConvertible {
    /// The primary operation's error, unchanged (a ``CircuitOpenError`` when a breaker refused the call).
    public var error: any Error
    /// The error's classification.
    public var classification: ErrorClassification

    /// Creates a reason.
    ///
    /// - Parameters:
    ///   - error: The primary operation's error.
    ///   - classification: The error's classification.
    public init(error: any Error, classification: ErrorClassification) {
        self.error = error
        self.classification = classification
    }

    /// The circuit breaker's refusal, when the fallback runs because a circuit was open.
    public var circuitOpenError: CircuitOpenError? {
        error as? CircuitOpenError
    }

    /// Whether a resilience strategy refused the call (category ``ErrorCategory/rejected``) rather than
    /// the call failing.
    public var isRejection: Bool {
        classification.category == .rejected
    }

    /// The classification and the error, such as `rejected: circuit breaker "ocr" is open`.
    public var description: String {
        "\(classification.category): \(error)"
    }
}
