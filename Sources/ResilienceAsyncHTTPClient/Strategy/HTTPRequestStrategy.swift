#if AsyncHTTPClient
import HTTPTypes
import Resilience
import ResilienceHTTP

/// A strategy that sends one HTTP request with retries, breakers or timeouts, taking the request with
/// each call: what `HTTPClient.execute(_:through:options:makeBody:retriedBodyLimit:deadline:logger:)`
/// runs an AsyncHTTPClient request through.
///
/// `HTTPRetry` and `StandardHTTPPipeline` conform. A strategy of
/// your own can too; it must call `send` for one attempt at a time and return only the response of
/// the last attempt it made (or throw), as both of them do: the responses of earlier attempts are
/// drained or dropped by the integration when the next attempt begins.
public protocol HTTPRequestStrategy<ClockType>: Sendable {
    /// The clock the strategy waits on; the integration measures a call's deadline on it too.
    associatedtype ClockType: Clock where ClockType.Duration == Duration

    /// The clock the strategy waits on.
    var clock: ClockType { get }

    /// How the strategy classifies responses (unless a call's `HTTPCallOptions.classifier`
    /// overrides it): the integration reads failing responses' bodies by the same rule.
    var classifier: HTTPResponseClassifier { get }

    /// Sends `request` through the strategy.
    ///
    /// - Parameters:
    ///   - request: The request's head: its method and fields decide whether it may be retried, its
    ///     authority which breaker it goes through.
    ///   - options: What this call changes.
    ///   - responseHead: The status and fields of a response.
    ///   - send: Sends the request once and returns its response; called once per attempt, one
    ///     attempt at a time.
    /// - Returns: The last attempt's response.
    /// - Throws: The last attempt's error, unchanged, or a strategy's own error.
    nonisolated(nonsending) func execute<Response>(
        _ request: HTTPRequest,
        options: HTTPCallOptions,
        responseHead: (Response) -> HTTPResponse,
        _ send: nonisolated(nonsending) (HTTPRequest) async throws -> Response
    ) async throws -> Response
}

extension HTTPRetry: HTTPRequestStrategy {
    /// The retry's clock.
    public var clock: ClockType { retry.clock }
}

extension StandardHTTPPipeline: HTTPRequestStrategy {
    /// The pipeline's clock, on which every one of its strategies measures and waits.
    public var clock: ClockType { retry.retry.clock }
}

#endif
