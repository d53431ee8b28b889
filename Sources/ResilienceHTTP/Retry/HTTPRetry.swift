#if HTTP
import HTTPTypes
import Resilience

/// A `Retry` for HTTP requests: it classifies each response (an
/// ``HTTPResponseClassifier``: 429 and 5xx retried, hints honoured) and retries only the requests
/// that may be sent twice (an ``HTTPIdempotencyPolicy``), taking the request with each call.
///
/// Build it once and use it for every request; what differs per request (the request itself, and
/// ``HTTPCallOptions``) comes with each call:
///
/// ```swift
/// let http = HTTPRetry(.standardHTTP, name: "vision-retry", observer: LoggingObserver())
/// let response = try await http.execute(request) { request in
///     try await client.send(request)
/// }
/// ```
///
/// Per call:
/// - **A request that may be retried** (an idempotent method, an `Idempotency-Key`, or
///   ``HTTPCallOptions/idempotent`` set) runs through ``retry``: a failing response is retried like an
///   error of its classification, waiting at least as long as the server's hint, never past the
///   policy's cap (a hint past it stops the retries at once:
///   `RetryStopReason.retryAfterExceedsMaxDelay`). When retrying ends on a failing
///   response, that response is returned; on an error, it is rethrown unchanged.
/// - **A request that may not** (a `POST` without a key, or a body that ``HTTPCallOptions/bodyIsReplayable``
///   says cannot be re-sent) is sent once. If it fails in a way the retry would have retried, the
///   observer hears `retriesEnded` with the stop reason `RetryStopReason.notIdempotent`
///   (or `RetryStopReason.bodyNotReplayable`); a failure it would not have retried
///   reports the reason the retry gives (`RetryStopReason.notRetryable`), as
///   ``retry`` would. Its events are those ``retry`` would emit for one attempt.
///
/// A caller already cancelled gets `CancellationError` and the request is never sent.
public struct HTTPRetry<ClockType: Clock>: Sendable, CustomStringConvertible where ClockType.Duration == Duration {
    /// The retry loop: policy, clock, jitter, budget, observer, error classifier.
    public var retry: Retry<ClockType>
    /// Classifies responses; ``HTTPCallOptions/classifier`` overrides it for a call.
    public var classifier: HTTPResponseClassifier
    /// Which requests may be retried; ``HTTPCallOptions/idempotent`` overrides it for a call.
    public var idempotency: HTTPIdempotencyPolicy

    /// Wraps a retry strategy.
    ///
    /// - Parameters:
    ///   - retry: The retry loop; its policy should retry the categories the classifier gives failing
    ///     responses (`RetryPolicy.standardHTTP` retries transient failures and rate limits).
    ///   - classifier: Classifies responses.
    ///   - idempotency: Which requests may be retried.
    public init(_ retry: Retry<ClockType>, classifier: HTTPResponseClassifier = .default, idempotency: HTTPIdempotencyPolicy = .default) {
        self.retry = retry
        self.classifier = classifier
        self.idempotency = idempotency
    }

    /// Creates an HTTP retry strategy.
    ///
    /// - Parameters:
    ///   - policy: What to retry, how often and how long to wait.
    ///   - name: The name reported in events.
    ///   - clock: The clock that measures and waits.
    ///   - classifier: Classifies responses.
    ///   - idempotency: Which requests may be retried.
    ///   - errorClassifier: Maps the errors the operation throws to their categories.
    ///   - random: Where jitter draws its random numbers.
    ///   - budget: A retry budget shared with other calls, which may refuse retries.
    ///   - observer: Receives the strategy's events.
    public init(
        _ policy: RetryPolicy = .standardHTTP,
        name: String = "http-retry",
        clock: ClockType,
        classifier: HTTPResponseClassifier = .default,
        idempotency: HTTPIdempotencyPolicy = .default,
        errorClassifier: ErrorClassifier = .default,
        random: RandomSource = .system,
        budget: RetryBudget? = nil,
        observer: (any ResilienceObserver)? = nil
    ) {
        self.init(
            Retry(policy, name: name, clock: clock, classifier: errorClassifier, random: random, budget: budget, observer: observer),
            classifier: classifier,
            idempotency: idempotency
        )
    }

    /// The retry's description, such as `http-retry(4 attempts, …)`.
    public var description: String {
        let policy = retry.policy
        return "\(retry.name)(\(policy.maxAttempts) attempts, \(policy.backoff), jitter \(policy.jitter))"
    }

    /// Sends `request`, retrying its failures and failing responses when it may be sent again.
    ///
    /// - Parameters:
    ///   - request: The request; its method and fields decide whether it may be retried.
    ///   - options: What this call changes: idempotency, a body that cannot be re-sent, another
    ///     classifier, another observer.
    ///   - send: Sends the request and returns its response; called once per attempt.
    /// - Returns: The first successful response, or the last failing one when retrying ends on it.
    /// - Throws: The last attempt's error, unchanged, when retrying ends on an error;
    ///   `CancellationError` when the task is cancelled before the first attempt or during a wait.
    nonisolated(nonsending) public func execute(
        _ request: HTTPRequest,
        options: HTTPCallOptions = HTTPCallOptions(),
        _ send: nonisolated(nonsending) (HTTPRequest) async throws -> HTTPResponse
    ) async throws -> HTTPResponse {
        try await execute(request, options: options, responseHead: { $0 }, send)
    }

    /// Sends `request` with an operation returning a response with more than its head (a body, a
    /// client's own response type), retrying its failures and failing responses when it may be sent
    /// again.
    ///
    /// - Parameters:
    ///   - request: The request; its method and fields decide whether it may be retried.
    ///   - options: What this call changes: idempotency, a body that cannot be re-sent, another
    ///     classifier, another observer.
    ///   - responseHead: The status and fields of a response, which the classifier reads.
    ///   - send: Sends the request and returns its response; called once per attempt. A response
    ///     that is retried is dropped.
    /// - Returns: The first successful response, or the last failing one when retrying ends on it.
    /// - Throws: The last attempt's error, unchanged, when retrying ends on an error;
    ///   `CancellationError` when the task is cancelled before the first attempt or during a wait.
    nonisolated(nonsending) public func execute<Response>(
        _ request: HTTPRequest,
        options: HTTPCallOptions = HTTPCallOptions(),
        responseHead: (Response) -> HTTPResponse,
        _ send: nonisolated(nonsending) (HTTPRequest) async throws -> Response
    ) async throws -> Response {
        try Task.checkCancellation()
        var retry = self.retry
        if options.observer != nil {
            retry.observer = combinedObserver(retry.observer, options.observer)
        }
        let classifier = options.classifier ?? self.classifier
        if let refusal = idempotency.refusal(for: request, options: options) {
            return try await Self.sendOnce(
                request, refusal: refusal, retry: retry, classify: { classifier.classify(responseHead($0)) }, send)
        }
        return try await retry.execute(classifyingResult: { classifier.classify(responseHead($0)) }) {
            try await send(request)
        }
    }

    /// One attempt of a request that may not be retried, reported as ``retry`` would report it, with
    /// `refusal` as the reason when the failure is one it would have retried.
    nonisolated(nonsending) static func sendOnce<Response>(
        _ request: HTTPRequest,
        refusal: RetryStopReason,
        retry: Retry<ClockType>,
        classify: (Response) -> ErrorClassification?,
        _ send: nonisolated(nonsending) (HTTPRequest) async throws -> Response
    ) async throws -> Response {
        let (name, observer, policy) = (retry.name, retry.observer, retry.policy)
        retry.budget?.recordRequest()
        let response: Response
        do {
            response = try await send(request)
        } catch {
            let classification = retry.classifier.classify(error)
            observer?.observe(.attemptFailed(strategy: name, attempt: 1, error: error, classification: classification))
            let retryable = retry.retryIf.map { $0(error) } ?? policy.retries(classification.category)
            let reason = stopReason(classification, retryable: retryable, maxAttempts: policy.maxAttempts, refusal: refusal)
            observer?.observe(.retriesEnded(strategy: name, attempts: 1, reason: reason, error: error))
            throw error
        }
        guard let failure = classify(response) else {
            retry.budget?.recordSuccess()
            observer?.observe(.attemptSucceeded(strategy: name, attempt: 1))
            return response
        }
        observer?.observe(.resultRejected(strategy: name, attempt: 1, classification: failure))
        let reason = stopReason(failure, retryable: policy.retries(failure.category), maxAttempts: policy.maxAttempts, refusal: refusal)
        observer?.observe(.retriesEnded(strategy: name, attempts: 1, reason: reason, error: nil))
        return response
    }

    /// What the retry loop would report after a first failed attempt it may not retry: its own reason
    /// when it would not have retried anyway, else `refusal`.
    static func stopReason(
        _ classification: ErrorClassification,
        retryable: Bool,
        maxAttempts: Int,
        refusal: RetryStopReason
    ) -> RetryStopReason {
        if classification.category == .cancellation || Task.isCancelled { return .cancelled }
        guard retryable else { return .notRetryable }
        guard maxAttempts > 1 else { return .attemptsExhausted }
        return refusal
    }
}

extension HTTPRetry where ClockType == ContinuousClock {
    /// Creates an HTTP retry strategy on the continuous clock.
    ///
    /// - Parameters:
    ///   - policy: What to retry, how often and how long to wait.
    ///   - name: The name reported in events.
    ///   - classifier: Classifies responses.
    ///   - idempotency: Which requests may be retried.
    ///   - errorClassifier: Maps the errors the operation throws to their categories.
    ///   - random: Where jitter draws its random numbers.
    ///   - budget: A retry budget shared with other calls, which may refuse retries.
    ///   - observer: Receives the strategy's events.
    public init(
        _ policy: RetryPolicy = .standardHTTP,
        name: String = "http-retry",
        classifier: HTTPResponseClassifier = .default,
        idempotency: HTTPIdempotencyPolicy = .default,
        errorClassifier: ErrorClassifier = .default,
        random: RandomSource = .system,
        budget: RetryBudget? = nil,
        observer: (any ResilienceObserver)? = nil
    ) {
        self.init(
            policy, name: name, clock: ContinuousClock(), classifier: classifier, idempotency: idempotency,
            errorClassifier: errorClassifier, random: random, budget: budget, observer: observer
        )
    }
}

#endif
