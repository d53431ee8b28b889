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
/// ``init(name:observer:_:)``) as well as to the strategy's own.
public struct ResiliencePipeline<Strategy: ComposableStrategy>: ComposableStrategy {
    /// The pipeline's name, carried by its strategies' events.
    public let name: String
    /// The composed strategies.
    public let strategy: Strategy

    /// Builds a pipeline from strategies listed outer to inner.
    ///
    /// - Parameters:
    ///   - name: The pipeline's name, carried by its strategies' events.
    ///   - observer: Receives every event of every strategy in the pipeline, or `nil`.
    ///   - build: The strategies, outer to inner.
    /// - Throws: What `build` throws, such as a ``ConfigurationError`` from a strategy's initialiser.
    public init(
        name: String = "pipeline",
        observer: (any ResilienceObserver)? = nil,
        @ResiliencePipelineBuilder _ build: () throws -> Strategy
    ) rethrows {
        self.name = name
        self.strategy = try build().joining(PipelineContext(name: name, observer: observer))
    }

    /// The strategies' lines, outer to inner.
    public var strategyDescriptions: [String] { strategy.strategyDescriptions }

    /// The pipeline's name and its strategies outer to inner, such as `ocr: timeout(30.0 s) → retry(…)`.
    public var description: String {
        "\(name): " + strategyDescriptions.joined(separator: " → ")
    }

    /// The pipeline, nested in another one: its strategies report to both.
    ///
    /// - Parameter context: The outer pipeline's name and observer.
    public func joining(_ context: PipelineContext) -> Self {
        ResiliencePipeline(name: name, joined: strategy.joining(context))
    }

    private init(name: String, joined strategy: Strategy) {
        self.name = name
        self.strategy = strategy
    }
}

extension ResiliencePipeline: EntryCancellationChecking {
    var checksCancellationOnEntry: Bool { Resilience.checksCancellationOnEntry(strategy) }
    var startsOperationRightAfterCheck: Bool { Resilience.startsOperationRightAfterCheck(strategy) }

    func relyingOnEnclosingCancellationCheck() -> Self {
        ResiliencePipeline(name: name, joined: Resilience.relyingOnEnclosingCancellationCheck(strategy))
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
        try await strategy.execute(operation)
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
        try await strategy.execute(operation)
    }
}
