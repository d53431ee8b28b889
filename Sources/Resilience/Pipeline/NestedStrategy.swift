/// Two strategies, one inside the other: `outer` runs `inner`, which runs the operation.
///
/// ``ResiliencePipelineBuilder`` builds these; the nesting is in the type, so the whole pipeline is
/// specialised and inlined like hand-written code, without existentials or allocations.
public struct NestedStrategy<Outer: ResilienceStrategy, Inner: ResilienceStrategy>: ResilienceStrategy {
    /// The strategy that runs first and wraps `inner`.
    public var outer: Outer
    /// The strategy that `outer` runs around the operation.
    public var inner: Inner

    /// Nests `inner` inside `outer`.
    ///
    /// - Parameters:
    ///   - outer: The strategy that runs first.
    ///   - inner: The strategy it wraps around the operation.
    @inlinable
    public init(outer: Outer, inner: Inner) {
        self.outer = outer
        self.inner = inner
    }

    /// Runs `operation` through `inner` inside `outer`.
    ///
    /// - Parameter operation: The work to run.
    /// - Returns: What `outer` produces.
    @inlinable @inline(__always)
    nonisolated(nonsending) public func execute<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        try await outer.execute { try await inner.execute(operation) }
    }

    /// `outer`'s lines, then `inner`'s.
    public var strategyDescriptions: [String] {
        outer.strategyDescriptions + inner.strategyDescriptions
    }

    /// The strategies outer to inner, joined by arrows.
    public var description: String {
        strategyDescriptions.joined(separator: " → ")
    }

    /// Both strategies joining the pipeline.
    ///
    /// - Parameter context: The pipeline's name and observer.
    public func joining(_ context: PipelineContext) -> Self {
        NestedStrategy(outer: outer.joining(context), inner: inner.joining(context))
    }
}

/// A strategy that may be absent (from an `if` in a pipeline builder): runs the operation through
/// `wrapped`, or directly when it is `nil`.
public struct OptionalStrategy<Wrapped: ResilienceStrategy>: ResilienceStrategy {
    /// The strategy, or `nil` to run the operation directly.
    public var wrapped: Wrapped?

    /// Wraps an optional strategy.
    ///
    /// - Parameter wrapped: The strategy, or `nil`.
    @inlinable
    public init(_ wrapped: Wrapped?) {
        self.wrapped = wrapped
    }

    /// Runs `operation` through the strategy, or directly.
    ///
    /// - Parameter operation: The work to run.
    /// - Returns: What the strategy (or the operation) produces.
    @inlinable @inline(__always)
    nonisolated(nonsending) public func execute<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        guard let wrapped else { return try await operation() }
        return try await wrapped.execute(operation)
    }

    /// The strategy's lines, or none.
    public var strategyDescriptions: [String] { wrapped?.strategyDescriptions ?? [] }

    /// The strategy's description, or `none`.
    public var description: String { wrapped?.description ?? "none" }

    /// The strategy joining the pipeline.
    ///
    /// - Parameter context: The pipeline's name and observer.
    public func joining(_ context: PipelineContext) -> Self {
        OptionalStrategy(wrapped?.joining(context))
    }
}

/// One of two strategies (from an `if`/`else` in a pipeline builder).
public enum EitherStrategy<First: ResilienceStrategy, Second: ResilienceStrategy>: ResilienceStrategy {
    /// The `if` branch's strategy.
    case first(First)
    /// The `else` branch's strategy.
    case second(Second)

    /// Runs `operation` through whichever strategy this is.
    ///
    /// - Parameter operation: The work to run.
    /// - Returns: What the strategy produces.
    @inlinable @inline(__always)
    nonisolated(nonsending) public func execute<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        switch self {
        case .first(let strategy): try await strategy.execute(operation)
        case .second(let strategy): try await strategy.execute(operation)
        }
    }

    /// The chosen strategy's lines.
    public var strategyDescriptions: [String] {
        switch self {
        case .first(let strategy): strategy.strategyDescriptions
        case .second(let strategy): strategy.strategyDescriptions
        }
    }

    /// The chosen strategy's description.
    public var description: String {
        switch self {
        case .first(let strategy): strategy.description
        case .second(let strategy): strategy.description
        }
    }

    /// The chosen strategy joining the pipeline.
    ///
    /// - Parameter context: The pipeline's name and observer.
    public func joining(_ context: PipelineContext) -> Self {
        switch self {
        case .first(let strategy): .first(strategy.joining(context))
        case .second(let strategy): .second(strategy.joining(context))
        }
    }
}
