/// Runs an alternative when the primary operation fails in a chosen way, such as when a circuit
/// breaker refuses the call: a local OCR engine when the OCR service's breaker is open, or a
/// "skipped" analysis when the vision service's breaker is.
///
/// ```swift
/// let localOCR = Fallback(name: "ocr-fallback", handling: [.rejected, .timeout]) { reason in
///     try await localOCREngine.extract(receiptID)
/// }
/// let text = try await localOCR.execute {
///     try await ocrBreaker.execute { try await ocr.extract(receiptID) }
/// }
///
/// let skipped = Fallback(returning: Analysis.skipped, name: "vision-fallback")  // handles .rejected
/// ```
///
/// The fallback runs when the primary throws an error whose category is in ``categories`` (default:
/// ``ErrorCategory/rejected``, the category of ``CircuitOpenError``), or that `shouldHandle` accepts. It
/// receives a ``FallbackReason`` saying why, and its value (or error) becomes the call's. Other errors
/// are rethrown unchanged. Cancellation never triggers a fallback: when the error is a cancellation or
/// the calling task is cancelled, the error is rethrown.
///
/// Put a fallback outermost, around retries and breakers, so it sees the final outcome. Both the
/// primary and the fallback run in the caller's isolation.
///
/// A fallback is a ``TypedResilienceStrategy``: a ``ResiliencePipeline`` holding a `Fallback<String>`
/// runs only operations returning `String`, and a fallback of another type than the call's is a
/// compile error, never a fallback that silently does not run.
public struct Fallback<Value>: TypedResilienceStrategy, ObservedStrategy {
    /// The alternative: given why it runs, produces the call's value (or throws the call's error).
    public typealias Action = nonisolated(nonsending) @Sendable (FallbackReason) async throws -> Value
    /// Decides whether an error triggers the fallback.
    public typealias Predicate = @Sendable (_ error: any Error, _ classification: ErrorClassification) -> Bool

    /// The strategy's name, reported in its events (for example `"ocr-fallback"`).
    public var name: String
    /// The error categories that trigger the fallback (unless ``shouldHandle`` is set). Cancellation never does.
    public var categories: Set<ErrorCategory>
    /// Decides whether an error triggers the fallback instead of ``categories``; `nil` to use the categories.
    public var shouldHandle: Predicate?
    /// Maps each error to its category.
    public var classifier: ErrorClassifier
    /// Receives a ``ResilienceEvent/Kind/fallbackUsed`` event each time the fallback runs.
    public var observer: (any ResilienceObserver)?
    /// The alternative.
    @usableFromInline
    let action: Action
    /// Whether ``execute(_:)`` checks for cancellation first: `false` only inside a pipeline, behind a
    /// strategy that has just checked (see ``EntryCancellationChecking``).
    @usableFromInline
    var checksCancellation = true

    /// Creates a fallback.
    ///
    /// - Parameters:
    ///   - name: The name reported in events.
    ///   - categories: The error categories that trigger the fallback. Default: ``ErrorCategory/rejected``
    ///     (a refusal by a circuit breaker).
    ///   - shouldHandle: Decides whether an error triggers the fallback instead of `categories`.
    ///   - classifier: Maps each error to its category.
    ///   - observer: Receives an event each time the fallback runs.
    ///   - action: The alternative, given why it runs.
    public init(
        name: String = "fallback",
        handling categories: Set<ErrorCategory> = [.rejected],
        shouldHandle: Predicate? = nil,
        classifier: ErrorClassifier = .default,
        observer: (any ResilienceObserver)? = nil,
        _ action: @escaping Action
    ) {
        self.name = name
        self.categories = categories
        self.shouldHandle = shouldHandle
        self.classifier = classifier
        self.observer = observer
        self.action = action
    }

    /// Runs `operation`, and the fallback if it fails in a handled way.
    ///
    /// - Parameter operation: The primary operation, run in the caller's isolation.
    /// - Returns: The operation's value, or the fallback's.
    /// - Throws: The operation's error, unchanged, when it is not handled (or is a cancellation); the
    ///   fallback's error when the fallback throws; `CancellationError`, without running anything,
    ///   when the calling task is already cancelled.
    @inlinable
    nonisolated(nonsending) public func execute(
        _ operation: nonisolated(nonsending) () async throws -> Value
    ) async throws -> Value {
        if checksCancellation { try Task.checkCancellation() }
        do {
            return try await operation()
        } catch {
            guard let reason = reasonToFallBack(after: error) else { throw error }
            return try await action(reason)
        }
    }

    /// The strategy's name, such as `fallback(ocr-fallback)`, or `fallback` when it has the default name.
    public var description: String {
        name == "fallback" ? name : "fallback(\(name))"
    }

    /// The reason to run the fallback after `error`, reported to the observer; `nil` not to run it.
    @usableFromInline
    func reasonToFallBack(after error: any Error) -> FallbackReason? {
        guard !Task.isCancelled else { return nil }
        let classification = classifier.classify(error)
        guard classification.category != .cancellation else { return nil }
        let handled = shouldHandle.map { $0(error, classification) } ?? categories.contains(classification.category)
        guard handled else { return nil }
        let reason = FallbackReason(error: error, classification: classification)
        observer?.observe(.fallbackUsed(strategy: name, reason: reason))
        return reason
    }
}

extension Fallback where Value: Sendable {
    /// Creates a fallback that returns a fixed value, such as a "skipped" analysis.
    ///
    /// - Parameters:
    ///   - value: The value to return instead.
    ///   - name: The name reported in events.
    ///   - categories: The error categories that trigger the fallback. Default: ``ErrorCategory/rejected``.
    ///   - classifier: Maps each error to its category.
    ///   - observer: Receives an event each time the fallback runs.
    public init(
        returning value: Value,
        name: String = "fallback",
        handling categories: Set<ErrorCategory> = [.rejected],
        classifier: ErrorClassifier = .default,
        observer: (any ResilienceObserver)? = nil
    ) {
        self.init(name: name, handling: categories, classifier: classifier, observer: observer) { _ in value }
    }
}
