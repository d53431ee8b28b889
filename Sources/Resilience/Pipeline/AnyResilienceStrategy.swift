/// Any ``ResilienceStrategy``, behind a type you can name: for a pipeline kept in a property.
///
/// ```swift
/// final class ReportClient {
///     let resilience: AnyResilienceStrategy
///
///     init(breaker: CircuitBreaker<ContinuousClock>) {
///         resilience = AnyResilienceStrategy(ResiliencePipeline(name: "reports") {
///             Timeout(.seconds(30))
///             Retry(.default)
///             breaker
///         })
///     }
/// }
/// ```
///
/// Running through it costs one dynamic call into the wrapped strategy, whose own code is then not
/// specialised for the caller's result type (the benchmarks measure both forms).
public struct AnyResilienceStrategy: ResilienceStrategy {
    /// The wrapped strategy.
    public let base: any ResilienceStrategy

    /// Wraps `base`; an ``AnyResilienceStrategy`` is not wrapped twice.
    ///
    /// - Parameter base: The strategy.
    public init(_ base: some ResilienceStrategy) {
        if let erased = base as? AnyResilienceStrategy {
            self = erased
        } else {
            self.base = base
        }
    }

    /// Runs `operation` through the wrapped strategy.
    ///
    /// - Parameter operation: The work to run, in the caller's isolation.
    /// - Returns: What the strategy produces.
    /// - Throws: What the strategy lets through.
    nonisolated(nonsending) public func execute<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        try await base.execute(operation)
    }

    /// The wrapped strategy's lines.
    public var strategyDescriptions: [String] { base.strategyDescriptions }

    /// The wrapped strategy's description.
    public var description: String { base.description }

    /// The wrapped strategy joining a pipeline.
    ///
    /// - Parameter context: The pipeline's name and observer.
    public func joining(_ context: PipelineContext) -> Self {
        AnyResilienceStrategy(joined: base.joining(context))
    }

    private init(joined base: any ResilienceStrategy) {
        self.base = base
    }
}

/// Any ``TypedResilienceStrategy`` of `Value`, behind a type you can name: for a pipeline with a
/// fallback kept in a property.
///
/// ```swift
/// struct ReceiptService {
///     let ocr: AnyTypedResilienceStrategy<String>
///
///     init(breaker: CircuitBreaker<ContinuousClock>, localOCR: LocalOCR) {
///         ocr = AnyTypedResilienceStrategy(ResiliencePipeline(name: "ocr") {
///             Fallback { _ in try await localOCR.extract() }
///             Retry(.aggressive)
///             breaker
///         })
///     }
/// }
/// ```
///
/// Running through it costs one dynamic call into the wrapped strategy.
public struct AnyTypedResilienceStrategy<Value>: TypedResilienceStrategy {
    /// The wrapped strategy.
    public let base: any TypedResilienceStrategy<Value>

    /// Wraps `base`; an ``AnyTypedResilienceStrategy`` is not wrapped twice.
    ///
    /// - Parameter base: The strategy.
    public init(_ base: some TypedResilienceStrategy<Value>) {
        if let erased = base as? AnyTypedResilienceStrategy<Value> {
            self = erased
        } else {
            self.base = base
        }
    }

    /// Wraps a strategy for any result type, for operations returning `Value`.
    ///
    /// - Parameter base: The strategy.
    public init(_ base: some ResilienceStrategy) {
        self.base = TypedStrategyAdapter<_, Value>(base)
    }

    /// Runs `operation` through the wrapped strategy.
    ///
    /// - Parameter operation: The work to run, in the caller's isolation.
    /// - Returns: What the strategy produces.
    /// - Throws: What the strategy lets through.
    nonisolated(nonsending) public func execute(
        _ operation: nonisolated(nonsending) () async throws -> Value
    ) async throws -> Value {
        try await base.execute(operation)
    }

    /// The wrapped strategy's lines.
    public var strategyDescriptions: [String] { base.strategyDescriptions }

    /// The wrapped strategy's description.
    public var description: String { base.description }

    /// The wrapped strategy joining a pipeline.
    ///
    /// - Parameter context: The pipeline's name and observer.
    public func joining(_ context: PipelineContext) -> Self {
        AnyTypedResilienceStrategy(joined: base.joining(context))
    }

    private init(joined base: any TypedResilienceStrategy<Value>) {
        self.base = base
    }
}
