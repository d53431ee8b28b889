#if HTTP
import Resilience

/// What an ``HTTPResponseClassifier`` rule says of a response: a success, or a failure of some
/// `ErrorClassification`.
///
/// A rule returns `nil` to leave the response to the next rule, so a rule needs a way to say
/// "success" that is not `nil`: this.
///
/// ```swift
/// // A DELETE of something already gone succeeded.
/// let classifier = HTTPResponseClassifier.default.addingRule { response in
///     response.status == .notFound ? .success : nil
/// }
/// ```
public struct HTTPResponseClassification: Hashable, Sendable, CustomStringConvertible {
    /// The failure's classification, or `nil` for a success.
    public var failure: ErrorClassification?

    /// Creates a classification.
    ///
    /// - Parameter failure: The failure's classification, or `nil` for a success.
    public init(failure: ErrorClassification?) {
        self.failure = failure
    }

    /// The response is a success: the call returns it, a retry does not retry it, a breaker counts
    /// it as a success.
    public static let success = HTTPResponseClassification(failure: nil)

    /// The response is a failure of `classification`: retried (and counted by a breaker) as an error
    /// of that classification would be. When `classification` has no `retryAfter`, the classifier
    /// adds the response's ``HTTPDelayHint``, if it has one.
    ///
    /// - Parameter classification: How to treat the response, such as `.transient`.
    /// - Returns: The classification.
    public static func failure(_ classification: ErrorClassification) -> HTTPResponseClassification {
        HTTPResponseClassification(failure: classification)
    }

    /// Whether the response is a success.
    public var isSuccess: Bool { failure == nil }

    /// `success`, or the failure's classification, such as `rateLimited (retry after 20.0 s)`.
    public var description: String {
        failure.map { "failure: \($0)" } ?? "success"
    }
}

#endif
