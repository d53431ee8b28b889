#if HTTP
import HTTPTypes
import Resilience

/// Which requests may be sent more than once: the rule a retry checks before retrying a request.
///
/// Retrying a request that changes something can change it twice: a `POST` that charged a card and
/// then timed out may have charged it. By ``default``, a request may be retried when
///
/// - its method is one RFC 9110 §9.2.2 defines as idempotent: `GET`, `HEAD`, `OPTIONS`, `TRACE`,
///   `PUT`, `DELETE` (``idempotentMethods``); or
/// - it carries an `Idempotency-Key` field (``idempotencyKeyField``; the IETF httpapi draft
///   "The Idempotency-Key HTTP Header Field", which Stripe and others implement): the server then
///   deduplicates it, so a `POST` or `PATCH` with a key may be retried; or
/// - its caller says so for the call (``HTTPCallOptions/idempotent``).
///
/// Otherwise an ``HTTPRetry`` makes one attempt, and when that fails in a way it would have
/// retried, it reports why it did not: a `retriesEnded` event with the stop reason
/// `RetryStopReason.notIdempotent`.
///
/// ```swift
/// // An API whose POSTs are all safe to repeat (a search endpoint, an LLM completion):
/// var idempotency = HTTPIdempotencyPolicy.default
/// idempotency.idempotentMethods.insert(.post)
/// ```
public struct HTTPIdempotencyPolicy: Hashable, Sendable {
    /// The methods whose requests may be retried without a key.
    public var idempotentMethods: Set<HTTPRequest.Method>
    /// The field whose presence makes any request retryable, or `nil` for none.
    public var idempotencyKeyField: HTTPField.Name?

    /// Creates a policy.
    ///
    /// - Parameters:
    ///   - idempotentMethods: The methods whose requests may be retried without a key.
    ///   - idempotencyKeyField: The field whose presence makes any request retryable, or `nil`.
    public init(
        idempotentMethods: Set<HTTPRequest.Method> = HTTPIdempotencyPolicy.defaultIdempotentMethods,
        idempotencyKeyField: HTTPField.Name? = HTTPField.Name("Idempotency-Key")
    ) {
        self.idempotentMethods = idempotentMethods
        self.idempotencyKeyField = idempotencyKeyField
    }

    /// RFC 9110's idempotent methods: `GET`, `HEAD`, `OPTIONS`, `TRACE`, `PUT`, `DELETE`.
    public static let defaultIdempotentMethods: Set<HTTPRequest.Method> = [.get, .head, .options, .trace, .put, .delete]

    /// Idempotent methods, or any request with an `Idempotency-Key` field.
    public static let `default` = HTTPIdempotencyPolicy()

    /// Whether `request` may be sent more than once under this policy alone (the call's options can
    /// still say otherwise).
    ///
    /// - Parameter request: The request.
    /// - Returns: `true` for an idempotent method, or a request carrying the key field.
    public func allowsRetries(of request: HTTPRequest) -> Bool {
        if idempotentMethods.contains(request.method) { return true }
        guard let idempotencyKeyField else { return false }
        return request.headerFields.contains(idempotencyKeyField)
    }

    /// Why `request` may not be retried in a call with `options`, or `nil` when it may.
    ///
    /// - Parameters:
    ///   - request: The request.
    ///   - options: The call's options.
    /// - Returns: `RetryStopReason.bodyNotReplayable` when the call's body cannot be sent
    ///   again; `RetryStopReason.notIdempotent` when the call or the policy forbids
    ///   retrying; `nil` otherwise.
    public func refusal(for request: HTTPRequest, options: HTTPCallOptions) -> RetryStopReason? {
        guard options.bodyIsReplayable else { return .bodyNotReplayable }
        let allowed = options.idempotent ?? allowsRetries(of: request)
        return allowed ? nil : .notIdempotent
    }
}

#endif
