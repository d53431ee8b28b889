/// A strategy that can count returned values as failures: a ``Retry`` (which retries them) and a
/// ``CircuitBreaker`` (which counts them), for operations that report failure in their result, such
/// as an HTTP response with status 503.
public protocol ResultClassifyingStrategy: ResilienceStrategy {
    /// Runs `operation`, treating the values `classifyResult` classifies as failures of that
    /// classification.
    ///
    /// - Parameters:
    ///   - classifyResult: A failure classification for a value that should count as a failure, or
    ///     `nil` to accept it.
    ///   - operation: The work to run, in the caller's isolation.
    /// - Returns: The operation's value (for a retry, the last one when retrying ends on a rejected one).
    /// - Throws: What the strategy lets through.
    nonisolated(nonsending) func execute<Result>(
        classifyingResult classifyResult: (Result) -> ErrorClassification?,
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result
}

extension ResultClassifyingStrategy {
    /// This strategy, for operations returning `Value`, counting the values `classify` classifies as
    /// failures: Polly's `ShouldHandle` on results, for a typed pipeline.
    ///
    /// ```swift
    /// let http = ResiliencePipeline(name: "http") {
    ///     Retry(.rateLimit).classifyingResults { (response: Response) in
    ///         response.status == 429 ? .rateLimited(retryAfter: response.retryAfter) : nil
    ///     }
    ///     breaker.classifyingResults { (response: Response) in response.status >= 500 ? .transient : nil }
    /// }
    /// ```
    ///
    /// - Parameter classify: A failure classification for a value that should count as a failure, or
    ///   `nil` to accept it.
    /// - Returns: A ``TypedResilienceStrategy`` of `Value`.
    public func classifyingResults<Value>(
        _ classify: @escaping @Sendable (Value) -> ErrorClassification?
    ) -> ResultClassifiedStrategy<Self, Value> {
        ResultClassifiedStrategy(self, classify: classify)
    }
}

/// A ``ResultClassifyingStrategy`` that counts some values of type `Value` as failures; made by
/// ``ResultClassifyingStrategy/classifyingResults(_:)``.
public struct ResultClassifiedStrategy<Base: ResultClassifyingStrategy, Value>: TypedResilienceStrategy {
    /// The strategy.
    public var base: Base
    /// Classifies each value: a failure classification, or `nil` to accept it.
    public let classify: @Sendable (Value) -> ErrorClassification?

    /// Makes `base` count the values `classify` classifies as failures.
    ///
    /// - Parameters:
    ///   - base: The strategy.
    ///   - classify: A failure classification for a value that should count as a failure, or `nil`.
    public init(_ base: Base, classify: @escaping @Sendable (Value) -> ErrorClassification?) {
        self.base = base
        self.classify = classify
    }

    /// Runs `operation` through the strategy, classifying its values.
    ///
    /// - Parameter operation: The work to run, in the caller's isolation.
    /// - Returns: What the strategy produces.
    /// - Throws: What the strategy lets through.
    @inlinable @inline(__always)
    nonisolated(nonsending) public func execute(
        _ operation: nonisolated(nonsending) () async throws -> Value
    ) async throws -> Value {
        try await base.execute(classifyingResult: classify, operation)
    }

    /// The strategy's lines.
    public var strategyDescriptions: [String] { base.strategyDescriptions }

    /// The strategy's description.
    public var description: String { base.description }

    /// The strategy joining the pipeline.
    ///
    /// - Parameter context: The pipeline's name and observer.
    public func joining(_ context: PipelineContext) -> Self {
        ResultClassifiedStrategy(base.joining(context), classify: classify)
    }
}
