/// Strategies composed into one value, outer to inner, run as one and reused across calls and tasks.
///
/// ```swift
/// let ocr = try ResiliencePipeline(name: "ocr", observer: LoggingObserver(logger: logger)) {
///     Fallback(name: "local-ocr") { _ in try await localOCR.extract(id) }
///     try Timeout(.seconds(30))        // the whole call, waits included
///     Retry(.aggressive, budget: ocrBudget)
///     ocrBreaker
///     try Timeout(.seconds(5))         // each attempt
/// }
/// let text = try await ocr.execute { try await ocrClient.extract(id) }
/// print(ocr)   // ocr: fallback(local-ocr) → timeout(30.0 s) → retry(…) → circuit-breaker(ocr) → timeout(5.0 s)
/// ```
///
/// Order matters, as in Polly and resilience4j: a timeout outside a retry bounds the whole call, one
/// inside bounds each attempt; a fallback outermost catches what every other strategy lets through; a
/// retry outside a circuit breaker does not retry calls the open circuit rejects.
///
/// Every strategy's events carry the pipeline's ``name`` and go to its observer (given to ``init(name:observer:_:)``) as well as to the
/// strategy's own. The nesting lives in the type (``NestedStrategy``), so running a pipeline costs what
/// the same strategies cost written by hand.
public struct ResiliencePipeline<Strategy: ResilienceStrategy>: ResilienceStrategy {
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
