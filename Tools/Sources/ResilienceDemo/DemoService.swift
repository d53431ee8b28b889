import HTTPTypes
import Resilience
import ResilienceAsyncHTTPClient
import ResilienceCommands
import ResilienceHTTP

/// One downstream service of the demo (OCR or vision) as the receipts call it: the guide's values
/// for it, and the strategies every receipt shares: a concurrency limit, a breaker, an attempt
/// time-out and the batch's retry budget.
///
/// A call (``strategy(random:)``), outer to inner: the limiter; an `HTTPRetry` with the service's
/// policy, drawing its jitter from the receipt's own generator and spending the shared budget; the
/// breaker; the attempt time-out. An attempt the breaker refuses is not spent: it waits for the
/// breaker to half-open (its `retryAfter`) and asks again, for up to ``DemoServiceSettings/breakerPatience``,
/// so an open breaker slows receipts down but never changes what the service answers each of them.
struct DemoService<ClockType: Clock>: Sendable where ClockType.Duration == Duration {
    /// The service's name, `ocr` or `vision`: its strategies are `ocr-limiter`, `ocr-retry`, `ocr-breaker`, …
    let name: String
    let settings: DemoServiceSettings
    let clock: ClockType
    let limiter: ConcurrencyLimiter<ClockType>
    let breaker: CircuitBreaker<ClockType>
    let attemptTimeout: Timeout<ClockType>?
    let budget: RetryBudget?
    let classifier: HTTPResponseClassifier
    let observer: (any ResilienceObserver)?

    init(
        name: String,
        settings: DemoServiceSettings,
        clock: ClockType,
        budget: RetryBudget?,
        classifier: HTTPResponseClassifier = .default,
        observer: (any ResilienceObserver)?
    ) {
        self.name = name
        self.settings = settings
        self.clock = clock
        self.limiter = ConcurrencyLimiter(
            name: "\(name)-limiter", configuration: settings.concurrencyLimit, clock: clock, observer: observer)
        self.breaker = CircuitBreaker(name: "\(name)-breaker", configuration: settings.breaker, clock: clock, observer: observer)
        self.attemptTimeout = settings.attemptTimeout.map { Timeout($0, name: "\(name)-attempt-timeout", clock: clock, observer: observer) }
        self.budget = budget
        self.classifier = classifier
        self.observer = observer
    }

    /// The strategy one receipt's call goes through, its jitter drawn from `random`.
    func strategy(random: RandomSource) -> Strategy {
        Strategy(
            service: self,
            retry: HTTPRetry(
                settings.retry, name: "\(name)-retry", clock: clock, classifier: classifier, random: random, budget: budget,
                observer: observer
            )
        )
    }

    /// One receipt's view of the service: what `HTTPClient.execute(_:through:)` runs its request through.
    struct Strategy: HTTPRequestStrategy {
        let service: DemoService
        let retry: HTTPRetry<ClockType>

        var clock: ClockType { service.clock }
        var classifier: HTTPResponseClassifier { service.classifier }

        nonisolated(nonsending) func execute<Response>(
            _ request: HTTPRequest,
            options: HTTPCallOptions,
            responseHead: (Response) -> HTTPResponse,
            _ send: nonisolated(nonsending) (HTTPRequest) async throws -> Response
        ) async throws -> Response {
            let classifier = options.classifier ?? service.classifier
            let start = service.clock.now
            do {
                let response = try await call(request, options: options, classifier: classifier, responseHead: responseHead, send)
                service.observer?.observe(
                    .callCompleted(strategy: service.name, duration: start.duration(to: service.clock.now), error: nil, classification: nil)
                )
                return response
            } catch {
                service.observer?.observe(
                    .callCompleted(
                        strategy: service.name, duration: start.duration(to: service.clock.now), error: error,
                        classification: ErrorClassifier.default.classify(error)))
                throw error
            }
        }

        /// The call through the limiter, the retry, the breaker and the attempt time-out.
        nonisolated(nonsending) private func call<Response>(
            _ request: HTTPRequest,
            options: HTTPCallOptions,
            classifier: HTTPResponseClassifier,
            responseHead: (Response) -> HTTPResponse,
            _ send: nonisolated(nonsending) (HTTPRequest) async throws -> Response
        ) async throws -> Response {
            try await service.limiter.execute {
                try await retry.execute(request, options: options, responseHead: responseHead) { request in
                    try await service.admitted {
                        try await service.breaker.execute(classifyingResult: { classifier.classify(responseHead($0)) }) {
                            guard let timeout = service.attemptTimeout else { return try await send(request) }
                            return try await timeout.execute { try await send(request) }
                        }
                    }
                }
            }
        }
    }

    /// Runs `call` (the breaker's), and when the breaker refuses it, waits as long as the refusal
    /// says (or ``DemoServiceSettings/breakerPoll`` while another probe is out) and asks again, up to
    /// ``DemoServiceSettings/breakerPatience`` in all; then rethrows the refusal.
    nonisolated(nonsending) func admitted<Result>(
        _ call: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        var waited = Duration.zero
        while true {
            do {
                return try await call()
            } catch let refusal as CircuitOpenError {
                let wait = max(refusal.retryAfter ?? settings.breakerPoll, settings.breakerPoll)
                guard waited + wait <= settings.breakerPatience else { throw refusal }
                try await clock.sleep(for: wait)
                waited += wait
            }
        }
    }
}
