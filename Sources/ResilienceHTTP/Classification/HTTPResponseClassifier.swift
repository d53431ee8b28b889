#if HTTP
import HTTPTypes
import Resilience

/// Decides which HTTP responses are failures, of which `ErrorClassification`, and with
/// which server hint: what a `Retry` retries and a `CircuitBreaker` counts
/// when an operation *returns* a response rather than throwing.
///
/// **The built-in table**:
///
/// | status | classification |
/// |---|---|
/// | 1xx, 2xx, 3xx | success (`nil`) |
/// | 408 Request Timeout | `ErrorCategory.transient` |
/// | 429 Too Many Requests | `ErrorCategory.rateLimited`, with the response's hint |
/// | other 4xx (400, 401, 403, 404, 409, 422, …) | `ErrorCategory.permanent`: retrying the same request cannot help |
/// | 500, 502, 504 | `ErrorCategory.transient` (with the response's hint, if it sent one) |
/// | 503 Service Unavailable | `ErrorCategory.transient`; with a hint, `ErrorCategory.rateLimited` with it (the server said when it will take calls again) |
/// | 501, 505, 506, 508, 510, 511 | `ErrorCategory.permanent`: the server states a fixed fact (not implemented, version not supported, a configuration loop, network authentication required) |
/// | other 5xx (507, 520–599: proxies' and CDNs' codes) | `ErrorCategory.transient` |
/// | below 100 or above 599 | `ErrorCategory.permanent`: not HTTP semantics anyone can rely on |
///
/// The hint is the response's ``HTTPDelayHint`` (`retry-after-ms`, `x-ms-retry-after-ms`,
/// `Retry-After`), relative to the classifier's ``wallClock``, parsed only for the failures that are
/// retried (transient and rate-limited ones); a transient failure keeps its category with the hint
/// as its `retryAfter`, so the retry waits at least that long.
///
/// **Your rules** come first, most recently added first, as with `ErrorClassifier`: a
/// rule returns an ``HTTPResponseClassification`` (``HTTPResponseClassification/success`` or
/// ``HTTPResponseClassification/failure(_:)``) for the responses it knows and `nil` for the others.
/// A failure from a rule without a `retryAfter` gets the response's hint, so a rule need not parse
/// fields.
///
/// ```swift
/// let vision = HTTPResponseClassifier.default
///     .addingRule { $0.status.code == 529 ? .failure(.rateLimited()) : nil }   // "overloaded"
///     .addingRule { $0.status == .conflict ? .failure(.transient) : nil }      // a lock held by another writer
///
/// let retry = Retry(.standardHTTP).classifyingResults { (response: HTTPResponse) in vision.classify(response) }
/// ```
///
/// A classifier is a `Sendable` value: build it once and share it. Classifying a success, or a
/// failure without hints or with delta-seconds or milliseconds hints, does not allocate.
public struct HTTPResponseClassifier: Sendable {
    /// A user rule: a classification for the responses it knows, `nil` for the others.
    public typealias Rule = @Sendable (HTTPResponse) -> HTTPResponseClassification?

    /// The rules, consulted first to last before the built-in table.
    public var rules: [Rule]
    /// The current time, for `Retry-After` dates.
    public var wallClock: WallClock

    /// Creates a classifier with the built-in table and the given rules.
    ///
    /// - Parameters:
    ///   - wallClock: The current time, read only to turn a `Retry-After` date into a delay.
    ///   - rules: Rules consulted before the built-in table, first to last.
    public init(wallClock: WallClock = .system, rules: [Rule] = []) {
        self.wallClock = wallClock
        self.rules = rules
    }

    /// The built-in table, on the system's wall clock.
    public static var `default`: HTTPResponseClassifier { HTTPResponseClassifier() }

    /// A copy of this classifier with `rule` consulted before all of its existing rules.
    ///
    /// - Parameter rule: Returns a classification for the responses it knows and `nil` for the others.
    /// - Returns: The extended classifier.
    public func addingRule(_ rule: @escaping Rule) -> HTTPResponseClassifier {
        var copy = self
        copy.rules.insert(rule, at: 0)
        return copy
    }

    /// Classifies `response`: the rules, then the built-in table.
    ///
    /// - Parameter response: A response an operation returned.
    /// - Returns: Its failure classification, or `nil` when it is a success.
    public func classify(_ response: HTTPResponse) -> ErrorClassification? {
        for rule in rules {
            guard let verdict = rule(response) else { continue }
            guard var failure = verdict.failure else { return nil }
            if failure.retryAfter == nil {
                failure.retryAfter = HTTPDelayHint(response.headerFields, wallClock: wallClock)?.delay
            }
            return failure
        }
        return Self.builtInClassification(of: response, wallClock: wallClock)
    }

    /// The built-in table's classification of `response`, with its hint.
    ///
    /// - Parameters:
    ///   - response: A response.
    ///   - wallClock: The current time, for a `Retry-After` date.
    /// - Returns: Its failure classification, or `nil` when it is a success.
    public static func builtInClassification(of response: HTTPResponse, wallClock: WallClock = .system) -> ErrorClassification? {
        guard let kind = StatusKind(response.status.code) else { return nil }
        // A permanent failure is not retried: its fields are not worth parsing.
        if kind == .permanent { return .permanent }
        return builtInClassification(of: kind, hint: HTTPDelayHint(response.headerFields, wallClock: wallClock))
    }

    /// The built-in table's classification of a response of `status` with the given hint.
    ///
    /// - Parameters:
    ///   - status: The response's status.
    ///   - hint: The response's delay hint, if it has one.
    /// - Returns: The failure classification, or `nil` when the status is a success.
    public static func builtInClassification(of status: HTTPResponse.Status, hint: HTTPDelayHint?) -> ErrorClassification? {
        StatusKind(status.code).map { builtInClassification(of: $0, hint: hint) }
    }

    private static func builtInClassification(of kind: StatusKind, hint: HTTPDelayHint?) -> ErrorClassification {
        switch kind {
        case .rateLimited:
            .rateLimited(retryAfter: hint?.delay)
        case .unavailable:
            hint.map { .rateLimited(retryAfter: $0.delay) } ?? .transient
        case .transient:
            ErrorClassification(.transient, retryAfter: hint?.delay)
        case .permanent:
            .permanent
        }
    }

    /// The failure statuses' kinds in the built-in table; `nil` for a success.
    private enum StatusKind {
        case rateLimited, unavailable, transient, permanent

        init?(_ code: Int) {
            switch code {
            case 100...399: return nil
            case 408: self = .transient
            case 429: self = .rateLimited
            case 400...499: self = .permanent
            case 503: self = .unavailable
            case 501, 505, 506, 508, 510, 511: self = .permanent
            case 500...599: self = .transient
            default: self = .permanent
            }
        }
    }
}

#endif
