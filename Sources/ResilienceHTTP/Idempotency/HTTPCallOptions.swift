#if HTTP
import Resilience

/// What one call through an ``HTTPRetry`` or a ``StandardHTTPPipeline`` may change: whether its
/// request may be retried, its body re-sent, how its responses are classified, and who else hears
/// its events.
///
/// A strategy is built once and used for many requests; these are the facts that differ per
/// request.
///
/// ```swift
/// // This POST creates nothing twice: the server deduplicates by the order's number.
/// let response = try await http.execute(request, options: HTTPCallOptions(idempotent: true)) { request in
///     try await client.send(request, body: order)
/// }
/// ```
public struct HTTPCallOptions: Sendable {
    /// Whether the request may be sent more than once: `true` retries it whatever its method, `false`
    /// never retries it; `nil` (the default) lets the ``HTTPIdempotencyPolicy`` decide.
    public var idempotent: Bool?
    /// Whether the request's body can be sent again. `false` for a body streamed from somewhere that
    /// cannot be rewound (an upload read from a socket): the call is then never retried, whatever
    /// its method, and reports `RetryStopReason.bodyNotReplayable`. Default: `true`;
    /// the operation is called again for each attempt and must produce the body again.
    public var bodyIsReplayable: Bool
    /// Classifies this call's responses instead of the strategy's classifier, or `nil` to use it.
    public var classifier: HTTPResponseClassifier?
    /// Receives this call's events as well as the strategy's observer, or `nil`: to read, for one
    /// call, why it was not retried (the `retriesEnded` event's `ResilienceEvent.stopReason`).
    public var observer: (any ResilienceObserver)?

    /// Creates options for one call.
    ///
    /// - Parameters:
    ///   - idempotent: `true` to allow retries whatever the method, `false` to forbid them, `nil` for
    ///     the idempotency policy's rule.
    ///   - bodyIsReplayable: Whether the request's body can be sent again.
    ///   - classifier: Classifies this call's responses instead of the strategy's classifier.
    ///   - observer: Also receives this call's events.
    public init(
        idempotent: Bool? = nil,
        bodyIsReplayable: Bool = true,
        classifier: HTTPResponseClassifier? = nil,
        observer: (any ResilienceObserver)? = nil
    ) {
        self.idempotent = idempotent
        self.bodyIsReplayable = bodyIsReplayable
        self.classifier = classifier
        self.observer = observer
    }
}

#endif
