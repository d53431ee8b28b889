#if AsyncHTTPClient
import AsyncHTTPClient
import HTTPTypes
import Logging
import NIOCore
import Resilience
import ResilienceHTTP
import Synchronization

extension HTTPClient {
    /// How many bytes of a retried failing response's body the integration reads to keep its
    /// connection, by default: 64 KiB.
    public static let defaultRetriedBodyLimit = 65_536

    /// Sends `request` through `strategy` (an `HTTPRetry`, a
    /// `StandardHTTPPipeline`): one call, with the strategy's retries, breakers and
    /// timeouts, returning the final response or rethrowing the original error.
    ///
    /// ```swift
    /// let pipeline = try StandardHTTPPipeline(name: "vision")
    /// var request = HTTPClientRequest(url: "https://vision.example.com/v1/labels")
    /// request.method = .POST
    /// request.headers.add(name: "Idempotency-Key", value: key)
    /// request.body = .bytes(ByteBuffer(bytes: image))     // re-sent on each attempt
    /// let response = try await client.execute(request, through: pipeline, timeout: .seconds(30))
    /// ```
    ///
    /// **Retries** are the strategy's: a failing response (a 503, a 429 with its `Retry-After`) or a
    /// transient error (a refused or reset connection, a time-out: see <doc:CallingThroughAPipeline>)
    /// is retried when the request may be sent twice: an idempotent method, an `Idempotency-Key`, or
    /// `HTTPCallOptions.idempotent`. A `POST` without a key is sent once
    /// (`RetryStopReason.notIdempotent`).
    ///
    /// **Request bodies**: bytes (`.bytes(...)` of a `ByteBuffer`, an array, a string's UTF-8) are sent
    /// again on each attempt. A stream (`.stream(...)`) cannot be: pass `makeBody` to make it anew
    /// for each attempt, or the call is not retried
    /// (`RetryStopReason.bodyNotReplayable`).
    ///
    /// **Response bodies**: the decision to retry is made on the response's head. A response the
    /// strategy retries is drained when it declares a body of at most `retriedBodyLimit` bytes, so its
    /// connection goes back to the pool (read as soon as it arrives, before the wait), and dropped
    /// otherwise, when the next attempt begins, which makes AsyncHTTPClient close its connection. The
    /// response the call returns is the caller's: a success's body is unread, streamed as it arrives;
    /// a short failing one's was read into memory (the same bytes). Once the caller reads a body, the
    /// call is over: nothing is ever retried after that.
    ///
    /// - Parameters:
    ///   - request: The request. Its method and headers decide whether it may be retried, its URL's
    ///     scheme and authority which breaker it goes through; it is sent as it is on each attempt.
    ///   - strategy: The retries, breakers and timeouts to send it through.
    ///   - options: What this call changes: idempotency, another response classifier, another observer.
    ///     Its `HTTPCallOptions.bodyIsReplayable` is set to `false` for you when the
    ///     request has a stream body and no `makeBody`.
    ///   - makeBody: Makes the request's body anew for each attempt, in place of `request.body`: for a
    ///     stream body that can be produced again (a file read again from its start). `nil` to send
    ///     `request.body`.
    ///   - retriedBodyLimit: The most bytes of a retried response's body read to keep its connection;
    ///     a longer body is dropped. Values below 0 count as 0.
    ///   - deadline: When the whole call must end: each attempt is sent with it, and when it passes
    ///     during a wait between attempts the call ends at once, with the last attempt's outcome. It is
    ///     measured on the strategy's clock from the call's start, so that tests on a manual clock can
    ///     pass it. Default: none, for a strategy that bounds the call itself (a
    ///     `StandardHTTPPipeline`'s total and attempt timeouts).
    ///   - logger: The logger AsyncHTTPClient logs each attempt to.
    /// - Returns: The final response: the first success, or the last failing response when the
    ///   strategy stops retrying on one (a 404, a 503 after the last attempt, a `POST` without a key).
    /// - Throws: The last attempt's error, unchanged (`HTTPClientError`, NIO's `IOError`, …); a
    ///   strategy's own (`TimeoutError`, `CircuitOpenError`);
    ///   `HTTPClientError.deadlineExceeded` when the deadline passed during an attempt;
    ///   `CancellationError` when the task is cancelled, and the request is never sent when it
    ///   already was.
    nonisolated(nonsending) public func execute<Strategy: HTTPRequestStrategy>(
        _ request: HTTPClientRequest,
        through strategy: Strategy,
        options: HTTPCallOptions = HTTPCallOptions(),
        makeBody: (@Sendable () async throws -> HTTPClientRequest.Body)? = nil,
        retriedBodyLimit: Int = HTTPClient.defaultRetriedBodyLimit,
        deadline: NIODeadline = .distantFuture,
        logger: Logger? = nil
    ) async throws -> HTTPClientResponse {
        try _Concurrency.Task.checkCancellation()
        var options = options
        if makeBody == nil, let body = request.body, !body.canBeSentAgain {
            options.bodyIsReplayable = false
        }
        let call = ResilientCall(
            client: self, request: request, makeBody: makeBody, classifier: options.classifier ?? strategy.classifier,
            retriedBodyLimit: retriedBodyLimit, deadline: deadline, logger: logger
        )
        let head = HTTPRequest(request)
        do {
            let response: HTTPClientResponse
            if deadline == .distantFuture {
                response = try await strategy.execute(head, options: options, responseHead: \.head) { _ in try await call.send() }.response
            } else {
                response = try await Self.execute(head, through: strategy, options: options, call: call, deadline: deadline)
            }
            call.releaseHeldBody()
            return response
        } catch {
            await call.discardHeldBody()
            throw error
        }
    }

    /// Sends `request` through `strategy`, within `timeout` from now (see
    /// ``execute(_:through:options:makeBody:retriedBodyLimit:deadline:logger:)``).
    ///
    /// - Parameters:
    ///   - request: The request, sent as it is on each attempt.
    ///   - strategy: The retries, breakers and timeouts to send it through.
    ///   - options: What this call changes.
    ///   - makeBody: Makes the request's body anew for each attempt, or `nil` to send `request.body`.
    ///   - retriedBodyLimit: The most bytes of a retried response's body read to keep its connection.
    ///   - timeout: How long the whole call may take, waits between attempts included.
    ///   - logger: The logger AsyncHTTPClient logs each attempt to.
    /// - Returns: The final response.
    /// - Throws: The last attempt's error, unchanged, or a strategy's own (see the deadline variant).
    nonisolated(nonsending) public func execute<Strategy: HTTPRequestStrategy>(
        _ request: HTTPClientRequest,
        through strategy: Strategy,
        options: HTTPCallOptions = HTTPCallOptions(),
        makeBody: (@Sendable () async throws -> HTTPClientRequest.Body)? = nil,
        retriedBodyLimit: Int = HTTPClient.defaultRetriedBodyLimit,
        timeout: TimeAmount,
        logger: Logger? = nil
    ) async throws -> HTTPClientResponse {
        try await execute(
            request, through: strategy, options: options, makeBody: makeBody, retriedBodyLimit: retriedBodyLimit,
            deadline: .now() + timeout, logger: logger
        )
    }

    /// The call within a deadline: the strategy runs under a time limit on its own clock; when the
    /// limit passes, the call ends with the last attempt's outcome, or
    /// `HTTPClientError.deadlineExceeded` when an attempt was cut off by it.
    nonisolated(nonsending) private static func execute<Strategy: HTTPRequestStrategy>(
        _ head: HTTPRequest,
        through strategy: Strategy,
        options: HTTPCallOptions,
        call: ResilientCall,
        deadline: NIODeadline
    ) async throws -> HTTPClientResponse {
        let remaining = Duration.nanoseconds(max((deadline - .now()).nanoseconds, 0))
        let expiry = DeadlineExpiry()
        let observer: any ResilienceObserver = options.observer.map { CompositeObserver([expiry, $0]) } ?? expiry
        let limit = Timeout(remaining, name: "deadline", clock: strategy.clock, observer: observer)
        do {
            return try await limit.execute {
                try await strategy.execute(head, options: options, responseHead: \.head) { _ in try await call.send() }.response
            }
        } catch is TimeoutError where expiry.hasExpired {
            switch call.lastOutcome {
            case .success(let response): return response
            case .failure(let attemptError): throw attemptError
            case nil: throw HTTPClientError.deadlineExceeded
            }
        }
    }
}

/// Hears the call's deadline expire: the only `timedOut` event its time limit sends.
private final class DeadlineExpiry: ResilienceObserver {
    private let expired = Atomic(false)

    var hasExpired: Bool { expired.load(ordering: .acquiring) }

    func observe(_ event: ResilienceEvent) {
        if event.kind == .timedOut { expired.store(true, ordering: .releasing) }
    }
}

#endif
