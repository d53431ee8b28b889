/// Strategies composed into one value, outer to inner, run as one and reused across calls and tasks.
///
/// ```swift
/// let ocr = ResiliencePipeline(name: "ocr", observer: LoggingObserver()) {
///     Fallback { _ in try await localOCR.extract(id) }   // a String fallback: the pipeline runs String calls
///     Timeout(.seconds(30))                              // the whole call, waits included
///     Retry(.aggressive, budget: ocrBudget)
///     ocrBreaker
///     Timeout(.seconds(5))                               // each attempt
/// }
/// let text = try await ocr.execute { try await ocrClient.extract(id) }
/// print(ocr)   // ocr: fallback → timeout(30.0 s) → retry(…) → circuit-breaker(ocr) → timeout(5.0 s)
/// ```
///
/// Order matters, as in Polly and resilience4j: a timeout outside a retry bounds the whole call, one
/// inside bounds each attempt; a fallback outermost catches what every other strategy lets through; a
/// retry outside a circuit breaker does not retry calls the open circuit rejects.
///
/// **Typed and untyped.** A pipeline without a fallback is a ``ResilienceStrategy``: it runs operations
/// of any result type. A pipeline holding a ``TypedResilienceStrategy`` (a ``Fallback``) is one too,
/// typed by its value: it runs only operations returning that value, so a fallback of the wrong type
/// is a compile error (as Polly v8's `ResiliencePipeline<T>`).
///
/// **Naming its type.** The nesting lives in the type (``NestedStrategy``), so running a pipeline costs
/// what the same strategies cost written by hand; but that type is long. To store a pipeline in a
/// property, erase it: ``AnyResilienceStrategy`` (untyped) or ``AnyTypedResilienceStrategy`` (typed),
/// at the cost of one dynamic call per execution.
///
/// ```swift
/// struct ReceiptService {
///     let ocr: AnyTypedResilienceStrategy<String>
///     let http: AnyResilienceStrategy
/// }
/// ```
///
/// Every strategy's events carry the pipeline's ``name`` and go to its observer (given to
/// ``init(name:observer:clock:classifier:_:)``) as well as to the strategy's own; with an observer,
/// the pipeline also reports the end of each call (``ResilienceEvent/Kind/callCompleted``).
public struct ResiliencePipeline<Strategy: ComposableStrategy>: ComposableStrategy {
    /// The pipeline's name, carried by its strategies' events.
    public let name: String
    /// The composed strategies.
    public let strategy: Strategy
    /// Times each call and reports its end to the pipeline's observer; `nil` without an observer.
    @usableFromInline
    let completion: CallCompletion?

    /// Builds a pipeline from strategies listed outer to inner.
    ///
    /// With an `observer`, the pipeline also reports the end of each call
    /// (``ResilienceEvent/Kind/callCompleted``: its duration on `clock`, and its error's classification),
    /// which statistics and metrics count calls by; without one, it adds nothing to a call.
    ///
    /// - Parameters:
    ///   - name: The pipeline's name, carried by its strategies' events.
    ///   - observer: Receives every event of every strategy in the pipeline, and the end of each call;
    ///     or `nil`.
    ///   - clock: The clock that times each call, for the observer.
    ///   - classifier: Classifies a failed call's error, for the observer.
    ///   - build: The strategies, outer to inner.
    /// - Throws: What `build` throws, such as a ``ConfigurationError`` from a strategy's initialiser.
    public init<ClockType: Clock>(
        name: String = "pipeline",
        observer: (any ResilienceObserver)? = nil,
        clock: ClockType = ContinuousClock(),
        classifier: ErrorClassifier = .default,
        @ResiliencePipelineBuilder _ build: () throws -> Strategy
    ) rethrows where ClockType.Duration == Duration {
        let context = PipelineContext(name: name, observer: observer)
        self.name = name
        self.strategy = try build().joining(context)
        self.completion = context.observer(combinedWith: nil).map {
            CallCompletion(pipeline: name, observer: $0, clock: clock, classifier: classifier)
        }
    }

    /// The strategies' lines, outer to inner.
    public var strategyDescriptions: [String] { strategy.strategyDescriptions }

    /// The pipeline's name and its strategies outer to inner, such as `ocr: timeout(30.0 s) → retry(…)`.
    public var description: String {
        "\(name): " + strategyDescriptions.joined(separator: " → ")
    }

    /// The pipeline, nested in another one: its strategies, and the end of each of its calls, report
    /// to both pipelines' observers.
    ///
    /// - Parameter context: The outer pipeline's name and observer.
    public func joining(_ context: PipelineContext) -> Self {
        ResiliencePipeline(name: name, joined: strategy.joining(context), completion: completion?.joining(context))
    }

    private init(name: String, joined strategy: Strategy, completion: CallCompletion?) {
        self.name = name
        self.strategy = strategy
        self.completion = completion
    }
}

/// What a pipeline with an observer does around each call: time it, and report how it ended.
@usableFromInline
struct CallCompletion: Sendable {
    @usableFromInline let pipeline: String
    @usableFromInline let observer: any ResilienceObserver
    /// The time since the pipeline was built, on its clock.
    @usableFromInline let elapsed: @Sendable () -> Duration
    @usableFromInline let classifier: ErrorClassifier

    init<ClockType: Clock>(pipeline: String, observer: any ResilienceObserver, clock: ClockType, classifier: ErrorClassifier)
    where ClockType.Duration == Duration {
        let origin = clock.now
        self.init(pipeline: pipeline, observer: observer, elapsed: { origin.duration(to: clock.now) }, classifier: classifier)
    }

    private init(
        pipeline: String, observer: any ResilienceObserver, elapsed: @escaping @Sendable () -> Duration, classifier: ErrorClassifier
    ) {
        self.pipeline = pipeline
        self.observer = observer
        self.elapsed = elapsed
        self.classifier = classifier
    }

    /// This completion reporting to an outer pipeline's observer too.
    func joining(_ context: PipelineContext) -> CallCompletion {
        guard let combined = context.observer(combinedWith: observer) else { return self }
        return CallCompletion(pipeline: pipeline, observer: combined, elapsed: elapsed, classifier: classifier)
    }

    /// Runs `call`, timing it and reporting its end. Inlinable, so that it is specialised for the
    /// call's result type.
    @inlinable
    nonisolated(nonsending) func measure<Result>(_ call: nonisolated(nonsending) () async throws -> Result) async throws -> Result {
        let start = elapsed()
        do {
            let value = try await call()
            observer.observe(.callCompleted(strategy: pipeline, duration: elapsed() - start, error: nil, classification: nil))
            return value
        } catch {
            observer.observe(
                .callCompleted(strategy: pipeline, duration: elapsed() - start, error: error, classification: classifier.classify(error))
            )
            throw error
        }
    }
}

extension ResiliencePipeline: EntryCancellationChecking {
    var checksCancellationOnEntry: Bool { Resilience.checksCancellationOnEntry(strategy) }
    var startsOperationRightAfterCheck: Bool { Resilience.startsOperationRightAfterCheck(strategy) }

    func relyingOnEnclosingCancellationCheck() -> Self {
        ResiliencePipeline(name: name, joined: Resilience.relyingOnEnclosingCancellationCheck(strategy), completion: completion)
    }
}

extension ResiliencePipeline: ResilienceStrategy where Strategy: ResilienceStrategy {
    /// Runs `operation` through every strategy, outer to inner.
    ///
    /// - Parameter operation: The work to run, in the caller's isolation.
    /// - Returns: What the outermost strategy produces.
    /// - Throws: What the outermost strategy lets through.
    @inlinable @inline(__always)
    nonisolated(nonsending) public func execute<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        guard let completion else { return try await strategy.execute(operation) }
        return try await completion.measure { try await strategy.execute(operation) }
    }
}

extension ResiliencePipeline: TypedResilienceStrategy where Strategy: TypedResilienceStrategy {
    /// Runs `operation` through every strategy, outer to inner.
    ///
    /// - Parameter operation: The work to run, in the caller's isolation; it must return the value
    ///   the pipeline's fallback produces.
    /// - Returns: What the outermost strategy produces.
    /// - Throws: What the outermost strategy lets through.
    @inlinable @inline(__always)
    nonisolated(nonsending) public func execute(
        _ operation: nonisolated(nonsending) () async throws -> Strategy.Value
    ) async throws -> Strategy.Value {
        guard let completion else { return try await strategy.execute(operation) }
        return try await completion.measure { try await strategy.execute(operation) }
    }
}
