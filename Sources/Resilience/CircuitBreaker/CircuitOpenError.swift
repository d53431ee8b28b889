/// Thrown instead of calling the operation when a circuit breaker refuses the call: its circuit is
/// open, isolated, or half-open with every probe slot taken.
///
/// Match the type, never a message:
///
/// ```swift
/// do {
///     text = try await ocrBreaker.execute { try await ocr.extract(receiptID) }
/// } catch let rejection as CircuitOpenError {
///     logger.notice("OCR unavailable for \(rejection.retryAfter.map { "\($0)" } ?? "now")")
///     text = try await localOCR.extract(receiptID)
/// }
/// ```
///
/// or let a ``Fallback`` handle ``ErrorCategory/rejected``. The error classifies itself as
/// ``ErrorCategory/rejected`` with ``retryAfter`` as its hint, so no retry preset retries it (it would
/// only wait against a service known to be down); a policy that lists `.rejected` in its
/// ``RetryPolicy/retryableCategories`` waits at least until the circuit may half-open.
public struct CircuitOpenError: Error, Hashable, Sendable, ClassifiableError, CustomStringConvertible {
    /// The name of the breaker that refused the call.
    public var breakerName: String
    /// The state that refused it: ``CircuitState/open``, ``CircuitState/isolated``, or
    /// ``CircuitState/halfOpen`` when every probe slot is taken. Plays the part of an error code.
    public var state: CircuitState
    /// How long until the circuit may half-open; `nil` when unknown (isolated, or half-open).
    public var retryAfter: Duration?

    /// Creates the error.
    ///
    /// - Parameters:
    ///   - breakerName: The name of the breaker that refused the call.
    ///   - state: The state that refused it.
    ///   - retryAfter: How long until the circuit may half-open, if known.
    public init(breakerName: String, state: CircuitState, retryAfter: Duration?) {
        self.breakerName = breakerName
        self.state = state
        self.retryAfter = retryAfter
    }

    /// ``ErrorCategory/rejected``, with ``retryAfter`` as the hint.
    public var resilienceClassification: ErrorClassification {
        ErrorClassification(.rejected, retryAfter: retryAfter)
    }

    /// A message such as `circuit breaker "ocr" is open; it may half-open in 12.5 s`.
    public var description: String {
        switch state {
        case .isolated:
            return "circuit breaker \"\(breakerName)\" is isolated"
        case .halfOpen:
            return "circuit breaker \"\(breakerName)\" is half-open and every probe slot is taken"
        default:
            guard let retryAfter else { return "circuit breaker \"\(breakerName)\" is \(state)" }
            return "circuit breaker \"\(breakerName)\" is \(state); it may half-open in \(retryAfter.inSeconds) s"
        }
    }
}
