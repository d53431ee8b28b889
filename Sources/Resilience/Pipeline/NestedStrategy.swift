/// Two strategies, one inside the other: `outer` runs `inner`, which runs the operation.
///
/// ``ResiliencePipelineBuilder`` builds these; the nesting is in the type, so the whole pipeline is
/// specialised and inlined like hand-written code, without existentials or allocations. It is a
/// ``ResilienceStrategy`` when both strategies are, and a ``TypedResilienceStrategy`` when both are
/// typed by the same value (the builder adapts a ``ResilienceStrategy`` next to a typed one with
/// ``TypedStrategyAdapter``).
public struct NestedStrategy<Outer: ComposableStrategy, Inner: ComposableStrategy>: ComposableStrategy {
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

    /// `outer`'s lines, then `inner`'s.
    public var strategyDescriptions: [String] {
        outer.strategyDescriptions + inner.strategyDescriptions
    }

    /// The strategies outer to inner, joined by arrows.
    public var description: String {
        strategyDescriptions.joined(separator: " → ")
    }

    /// Both strategies joining the pipeline. When `outer` is made of the library's strategies, which
    /// check for cancellation and then start `inner` with nothing suspending in between, `inner`
    /// relies on that check instead of making its own (see `EntryCancellationChecking`).
    ///
    /// - Parameter context: The pipeline's name and observer.
    public func joining(_ context: PipelineContext) -> Self {
        let outer = outer.joining(context)
        let inner = inner.joining(context)
        return NestedStrategy(
            outer: outer,
            inner: Resilience.letsInnerRelyOnCheck(outer) ? Resilience.relyingOnEnclosingCancellationCheck(inner) : inner
        )
    }
}

extension NestedStrategy: ResilienceStrategy where Outer: ResilienceStrategy, Inner: ResilienceStrategy {
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
}

extension NestedStrategy: TypedResilienceStrategy
where Outer: TypedResilienceStrategy, Inner: TypedResilienceStrategy, Outer.Value == Inner.Value {
    /// Runs `operation` through `inner` inside `outer`.
    ///
    /// - Parameter operation: The work to run.
    /// - Returns: What `outer` produces.
    @inlinable @inline(__always)
    nonisolated(nonsending) public func execute(
        _ operation: nonisolated(nonsending) () async throws -> Outer.Value
    ) async throws -> Outer.Value {
        try await outer.execute { try await inner.execute(operation) }
    }
}

/// A ``ResilienceStrategy`` used for operations returning `Value`, so that it can sit next to a
/// ``TypedResilienceStrategy`` in a typed pipeline. The builder makes these; the strategy behaves
/// exactly as it does on its own.
public struct TypedStrategyAdapter<Base: ResilienceStrategy, Value>: TypedResilienceStrategy {
    /// The strategy.
    public var base: Base

    /// Uses `base` for operations returning `Value`.
    ///
    /// - Parameter base: The strategy.
    @inlinable
    public init(_ base: Base) {
        self.base = base
    }

    /// Runs `operation` through the strategy.
    ///
    /// - Parameter operation: The work to run.
    /// - Returns: What the strategy produces.
    @inlinable @inline(__always)
    nonisolated(nonsending) public func execute(
        _ operation: nonisolated(nonsending) () async throws -> Value
    ) async throws -> Value {
        try await base.execute(operation)
    }

    /// The strategy's lines.
    public var strategyDescriptions: [String] { base.strategyDescriptions }

    /// The strategy's description.
    public var description: String { base.description }

    /// The strategy joining the pipeline.
    ///
    /// - Parameter context: The pipeline's name and observer.
    public func joining(_ context: PipelineContext) -> Self {
        TypedStrategyAdapter(base.joining(context))
    }
}

/// A strategy that may be absent (from an `if` in a pipeline builder): runs the operation through
/// `wrapped`, or directly when it is `nil`.
public struct OptionalStrategy<Wrapped: ComposableStrategy>: ComposableStrategy {
    /// The strategy, or `nil` to run the operation directly.
    public var wrapped: Wrapped?

    /// Wraps an optional strategy.
    ///
    /// - Parameter wrapped: The strategy, or `nil`.
    @inlinable
    public init(_ wrapped: Wrapped?) {
        self.wrapped = wrapped
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

extension OptionalStrategy: ResilienceStrategy where Wrapped: ResilienceStrategy {
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
}

extension OptionalStrategy: TypedResilienceStrategy where Wrapped: TypedResilienceStrategy {
    /// Runs `operation` through the strategy, or directly.
    ///
    /// - Parameter operation: The work to run.
    /// - Returns: What the strategy (or the operation) produces.
    @inlinable @inline(__always)
    nonisolated(nonsending) public func execute(
        _ operation: nonisolated(nonsending) () async throws -> Wrapped.Value
    ) async throws -> Wrapped.Value {
        guard let wrapped else { return try await operation() }
        return try await wrapped.execute(operation)
    }
}

/// One of two strategies (from an `if`/`else` in a pipeline builder). It is a ``ResilienceStrategy``
/// when both branches are, and a ``TypedResilienceStrategy`` when both are typed by the same value;
/// a branch holding a fallback and one without do not mix (move the fallback out of the `if`).
public struct EitherStrategy<First: ComposableStrategy, Second: ComposableStrategy>: ComposableStrategy {
    @usableFromInline
    enum Branch: Sendable {
        case first(First)
        case second(Second)
    }

    @usableFromInline
    var branch: Branch

    /// The `if` branch's strategy.
    ///
    /// - Parameter strategy: The strategy.
    @inlinable
    public static func first(_ strategy: First) -> Self { Self(branch: .first(strategy)) }

    /// The `else` branch's strategy.
    ///
    /// - Parameter strategy: The strategy.
    @inlinable
    public static func second(_ strategy: Second) -> Self { Self(branch: .second(strategy)) }

    @inlinable
    init(branch: Branch) {
        self.branch = branch
    }

    /// The chosen strategy's lines.
    public var strategyDescriptions: [String] {
        switch branch {
        case .first(let strategy): strategy.strategyDescriptions
        case .second(let strategy): strategy.strategyDescriptions
        }
    }

    /// The chosen strategy's description.
    public var description: String {
        switch branch {
        case .first(let strategy): strategy.description
        case .second(let strategy): strategy.description
        }
    }

    /// The chosen strategy joining the pipeline.
    ///
    /// - Parameter context: The pipeline's name and observer.
    public func joining(_ context: PipelineContext) -> Self {
        switch branch {
        case .first(let strategy): .first(strategy.joining(context))
        case .second(let strategy): .second(strategy.joining(context))
        }
    }
}

extension EitherStrategy: ResilienceStrategy where First: ResilienceStrategy, Second: ResilienceStrategy {
    /// Runs `operation` through whichever strategy this is.
    ///
    /// - Parameter operation: The work to run.
    /// - Returns: What the strategy produces.
    @inlinable @inline(__always)
    nonisolated(nonsending) public func execute<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        switch branch {
        case .first(let strategy): try await strategy.execute(operation)
        case .second(let strategy): try await strategy.execute(operation)
        }
    }
}

extension EitherStrategy: TypedResilienceStrategy
where First: TypedResilienceStrategy, Second: TypedResilienceStrategy, First.Value == Second.Value {
    /// Runs `operation` through whichever strategy this is.
    ///
    /// - Parameter operation: The work to run.
    /// - Returns: What the strategy produces.
    @inlinable @inline(__always)
    nonisolated(nonsending) public func execute(
        _ operation: nonisolated(nonsending) () async throws -> First.Value
    ) async throws -> First.Value {
        switch branch {
        case .first(let strategy): try await strategy.execute(operation)
        case .second(let strategy): try await strategy.execute(operation)
        }
    }
}
