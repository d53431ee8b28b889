#if HTTP
import HTTPTypes
import Resilience

/// The standard resilience pipeline for HTTP calls, as Microsoft.Extensions.Http.Resilience's
/// standard handler builds it, outer to inner:
///
/// 1. a **rate limiter**: a `ConcurrencyLimiter` of 1 000 calls at once without a queue, as the
///    standard handler's (``StandardHTTPPipelineOptions/concurrencyLimit``), or any strategy you pass,
///    such as a `RateLimiter`;
/// 2. a **total timeout**, 30 s: the whole call, waits between retries included;
/// 3. a **retry** (``HTTPRetry``): up to 3 retries, exponential from 2 s with jitter, of transient
///    failures and rate limits, honouring the server's hints, and only of requests that may be sent
///    twice;
/// 4. a **circuit breaker per authority** (``HTTPCircuitBreakerPool``): opens for 5 s when 10 % of at
///    least 100 calls in 30 s failed, for that scheme, host and port alone;
/// 5. an **attempt timeout**, 10 s: each attempt.
///
/// Every value is in ``options`` (``StandardHTTPPipelineOptions``), validated when the pipeline is
/// made. The request comes with each call, so one pipeline serves every request and every host:
///
/// ```swift
/// let http = try StandardHTTPPipeline(name: "llm", observer: LoggingObserver(logger: logger))
/// let response = try await http.execute(request) { request in
///     try await client.send(request, body: body)
/// }
/// ```
///
/// A call returns the first successful response, or the last failing one when the retries end on it
/// (a 503 after 4 attempts, a 429 whose `Retry-After` is past the cap, a `POST` without an
/// `Idempotency-Key`), and rethrows the last error unchanged otherwise, or the strategies' own:
/// `TimeoutError` (a timeout), `CircuitOpenError` (the authority's breaker is
/// open), a limiter's refusal. Every strategy's events carry the pipeline's ``name`` and go to its
/// observer, as in a `ResiliencePipeline`, which also hears the end of each call
/// (`ResilienceEvent.Kind.callCompleted`).
public struct StandardHTTPPipeline<ClockType: Clock>: Sendable, CustomStringConvertible where ClockType.Duration == Duration {
    /// The pipeline's name, carried by its strategies' events.
    public let name: String
    /// Every value the pipeline was made with.
    public let options: StandardHTTPPipelineOptions
    /// The outermost strategy: the options' concurrency limiter, or the limiter given; `nil` for none.
    public let rateLimiter: AnyResilienceStrategy?
    /// The limit on the whole call; `nil` when ``StandardHTTPPipelineOptions/totalTimeout`` is.
    public let totalTimeout: Timeout<ClockType>?
    /// The retry: its policy, classifier and idempotency policy.
    public let retry: HTTPRetry<ClockType>
    /// The breakers, one per authority.
    public let circuitBreakers: HTTPCircuitBreakerPool<ClockType>
    /// The limit on each attempt; `nil` when ``StandardHTTPPipelineOptions/attemptTimeout`` is.
    public let attemptTimeout: Timeout<ClockType>?

    /// Hears the end of each call; the pipeline's observer stamped with its name, or `nil`.
    private let completionObserver: (any ResilienceObserver)?
    private let clock: ClockType
    private let errorClassifier: ErrorClassifier

    /// Builds the pipeline.
    ///
    /// - Parameters:
    ///   - name: The pipeline's name, carried by its strategies' events; also the prefix of its
    ///     strategies' names (`llm-retry`, `llm-breaker[https://api.example.com]`).
    ///   - options: Every value; ``StandardHTTPPipelineOptions/standard`` by default.
    ///   - clock: The clock every strategy measures and waits on.
    ///   - classifier: Classifies responses, for the retry and the breakers.
    ///   - errorClassifier: Maps the errors the operation throws to their categories.
    ///   - random: Where the retry's jitter draws its random numbers.
    ///   - budget: A retry budget shared with other calls, which may refuse retries.
    ///   - rateLimiter: The outermost strategy, such as a rate limiter; `nil` for the options'
    ///     ``StandardHTTPPipelineOptions/concurrencyLimit`` (none when that is `nil` too).
    ///   - observer: Receives every strategy's events, and the end of each call.
    /// - Throws: `ConfigurationError` naming the invalid field of `options`.
    public init(
        name: String = "http",
        options: StandardHTTPPipelineOptions = .standard,
        clock: ClockType,
        classifier: HTTPResponseClassifier = .default,
        errorClassifier: ErrorClassifier = .default,
        random: RandomSource = .system,
        budget: RetryBudget? = nil,
        rateLimiter: (any ResilienceStrategy)? = nil,
        observer: (any ResilienceObserver)? = nil
    ) throws(ConfigurationError) {
        try options.validate()
        let context = PipelineContext(name: name, observer: observer)
        let stamped = context.observer(combinedWith: nil)
        self.name = name
        self.options = options
        let limiter: (any ResilienceStrategy)? =
            rateLimiter
            ?? options.concurrencyLimit.map {
                ConcurrencyLimiter(name: "\(name)-limiter", configuration: $0, clock: clock)
            }
        self.rateLimiter = limiter.map { Self.erase($0, joining: context) }
        self.totalTimeout = options.totalTimeout.map { Timeout($0, name: "\(name)-total-timeout", clock: clock, observer: stamped) }
        self.retry = HTTPRetry(
            options.retry, name: "\(name)-retry", clock: clock, classifier: classifier, idempotency: options.idempotency,
            errorClassifier: errorClassifier, random: random, budget: budget, observer: stamped
        )
        self.circuitBreakers = HTTPCircuitBreakerPool(
            name: "\(name)-breaker", maximumCount: options.maximumCircuitBreakers, configuration: options.circuitBreaker, clock: clock,
            classifier: errorClassifier, observer: stamped
        )
        self.attemptTimeout = options.attemptTimeout.map { Timeout($0, name: "\(name)-attempt-timeout", clock: clock, observer: stamped) }
        self.completionObserver = stamped
        self.clock = clock
        self.errorClassifier = errorClassifier
    }

    /// The classifier of responses, for the retry and the breakers.
    public var classifier: HTTPResponseClassifier { retry.classifier }

    /// One line per strategy, outer to inner.
    public var strategyDescriptions: [String] {
        var lines: [String] = []
        if let rateLimiter { lines.append(rateLimiter.description) }
        if let totalTimeout { lines.append(totalTimeout.description) }
        lines.append(retry.description)
        lines.append("\(circuitBreakers.name)(per authority, at most \(circuitBreakers.maximumCount): \(circuitBreakers.configuration))")
        if let attemptTimeout { lines.append(attemptTimeout.description) }
        return lines
    }

    /// The pipeline's name and its strategies outer to inner, such as `http: http-total-timeout(30.0 s) → …`.
    public var description: String {
        "\(name): " + strategyDescriptions.joined(separator: " → ")
    }

    /// Sends `request` through every strategy.
    ///
    /// - Parameters:
    ///   - request: The request: its method and fields decide whether it may be retried, its authority
    ///     which breaker it goes through.
    ///   - options: What this call changes: idempotency, a body that cannot be re-sent, another
    ///     classifier, another observer.
    ///   - send: Sends the request and returns its response; called once per attempt.
    /// - Returns: The first successful response, or the last failing one when retrying ends on it.
    /// - Throws: The last attempt's error, unchanged, or a strategy's own error (a timeout, an open
    ///   breaker, a limiter's refusal); `CancellationError` when the task is already cancelled.
    nonisolated(nonsending) public func execute(
        _ request: HTTPRequest,
        options: HTTPCallOptions = HTTPCallOptions(),
        _ send: nonisolated(nonsending) (HTTPRequest) async throws -> HTTPResponse
    ) async throws -> HTTPResponse {
        try await execute(request, options: options, responseHead: { $0 }, send)
    }

    /// Sends `request` through every strategy, with an operation returning a response with more than
    /// its head (a body, a client's own response type).
    ///
    /// - Parameters:
    ///   - request: The request: its method and fields decide whether it may be retried, its authority
    ///     which breaker it goes through.
    ///   - options: What this call changes: idempotency, a body that cannot be re-sent, another
    ///     classifier, another observer.
    ///   - responseHead: The status and fields of a response, which the classifier reads.
    ///   - send: Sends the request and returns its response; called once per attempt. A response that
    ///     is retried is dropped.
    /// - Returns: The first successful response, or the last failing one when retrying ends on it.
    /// - Throws: The last attempt's error, unchanged, or a strategy's own error (a timeout, an open
    ///   breaker, a limiter's refusal); `CancellationError` when the task is already cancelled.
    nonisolated(nonsending) public func execute<Response>(
        _ request: HTTPRequest,
        options: HTTPCallOptions = HTTPCallOptions(),
        responseHead: (Response) -> HTTPResponse,
        _ send: nonisolated(nonsending) (HTTPRequest) async throws -> Response
    ) async throws -> Response {
        try Task.checkCancellation()
        var callOptions = options
        let classifier = options.classifier ?? retry.classifier
        callOptions.classifier = classifier
        let authority = HTTPAuthority(request)
        // A call's own observer hears every strategy, for this call only, stamped with the pipeline's name.
        let extra = options.observer.map { PipelineContext(name: name, observer: $0) }
        callOptions.observer = extra?.observer(combinedWith: nil)
        let limiter = extra.flatMap { self.rateLimiter?.joining($0) } ?? self.rateLimiter
        let total = extra.flatMap { self.totalTimeout?.joining($0) } ?? self.totalTimeout
        let attempt = extra.flatMap { self.attemptTimeout?.joining($0) } ?? self.attemptTimeout
        return try await measure(extra: options.observer) {
            try await Self.run(limiter) {
                try await Self.run(total) {
                    try await retry.execute(request, options: callOptions, responseHead: responseHead) { request in
                        try await circuitBreakers.execute(
                            for: authority, joining: extra, classifyingResult: { classifier.classify(responseHead($0)) }
                        ) {
                            try await Self.run(attempt) { try await send(request) }
                        }
                    }
                }
            }
        }
    }

    /// Runs `call`, reporting its end to the pipeline's observer and `extra`, when there is one.
    nonisolated(nonsending) private func measure<Result>(
        extra: (any ResilienceObserver)?,
        _ call: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        let observer =
            extra.map { PipelineContext(name: name, observer: $0).observer(combinedWith: completionObserver) } ?? completionObserver
        guard let observer else { return try await call() }
        let start = clock.now
        do {
            let value = try await call()
            observer.observe(.callCompleted(strategy: name, duration: start.duration(to: clock.now), error: nil, classification: nil))
            return value
        } catch {
            observer.observe(
                .callCompleted(
                    strategy: name, duration: start.duration(to: clock.now), error: error, classification: errorClassifier.classify(error)
                )
            )
            throw error
        }
    }

    /// `strategy` as a member of the pipeline `context` describes, erased.
    private static func erase(_ strategy: some ResilienceStrategy, joining context: PipelineContext) -> AnyResilienceStrategy {
        AnyResilienceStrategy(strategy.joining(context))
    }

    /// Runs `operation` through `strategy`, or directly when there is none.
    nonisolated(nonsending) private static func run<Strategy: ResilienceStrategy, Result>(
        _ strategy: Strategy?,
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        guard let strategy else { return try await operation() }
        return try await strategy.execute(operation)
    }
}

extension StandardHTTPPipeline where ClockType == ContinuousClock {
    /// Builds the pipeline on the continuous clock.
    ///
    /// - Parameters:
    ///   - name: The pipeline's name, carried by its strategies' events.
    ///   - options: Every value; ``StandardHTTPPipelineOptions/standard`` by default.
    ///   - classifier: Classifies responses, for the retry and the breakers.
    ///   - errorClassifier: Maps the errors the operation throws to their categories.
    ///   - random: Where the retry's jitter draws its random numbers.
    ///   - budget: A retry budget shared with other calls, which may refuse retries.
    ///   - rateLimiter: The outermost strategy, such as a rate limiter; `nil` for the options'
    ///     ``StandardHTTPPipelineOptions/concurrencyLimit``.
    ///   - observer: Receives every strategy's events, and the end of each call.
    /// - Throws: `ConfigurationError` naming the invalid field of `options`.
    public init(
        name: String = "http",
        options: StandardHTTPPipelineOptions = .standard,
        classifier: HTTPResponseClassifier = .default,
        errorClassifier: ErrorClassifier = .default,
        random: RandomSource = .system,
        budget: RetryBudget? = nil,
        rateLimiter: (any ResilienceStrategy)? = nil,
        observer: (any ResilienceObserver)? = nil
    ) throws(ConfigurationError) {
        try self.init(
            name: name, options: options, clock: ContinuousClock(), classifier: classifier, errorClassifier: errorClassifier,
            random: random, budget: budget, rateLimiter: rateLimiter, observer: observer
        )
    }
}

#endif
