/// Builds a ``ResiliencePipeline`` from strategies listed outer to inner.
///
/// ```swift
/// ResiliencePipeline(name: "ocr") {
///     Timeout(.seconds(30))        // the whole call
///     Retry(.aggressive)
///     ocrBreaker
///     Timeout(.seconds(5))         // each attempt
/// }
/// ```
///
/// The strategies nest in the result's type (``NestedStrategy``). A list of ``ResilienceStrategy``s
/// builds a ``ResilienceStrategy``, usable for operations of any result type; a list with a
/// ``TypedResilienceStrategy`` (a ``Fallback``) builds one typed by its value, and two typed strategies
/// of different values do not build (a compile error). `if`, `if`/`else` and `if let` work, so a
/// configuration can leave a strategy out.
@resultBuilder
public struct ResiliencePipelineBuilder {
    /// The first (outermost) strategy.
    @inlinable
    public static func buildPartialBlock<First: ComposableStrategy>(first: First) -> First {
        first
    }

    /// The strategies so far, with `next` inside them: both work for any result type.
    @inlinable
    public static func buildPartialBlock<Accumulated: ResilienceStrategy, Next: ResilienceStrategy>(
        accumulated: Accumulated,
        next: Next
    ) -> NestedStrategy<Accumulated, Next> {
        NestedStrategy(outer: accumulated, inner: next)
    }

    /// The strategies so far, with `next` inside them: both typed, by the same value.
    @inlinable
    public static func buildPartialBlock<Accumulated: TypedResilienceStrategy, Next: TypedResilienceStrategy>(
        accumulated: Accumulated,
        next: Next
    ) -> NestedStrategy<Accumulated, Next> where Accumulated.Value == Next.Value {
        NestedStrategy(outer: accumulated, inner: next)
    }

    /// Typed strategies so far, with a strategy for any result type inside them.
    @inlinable
    public static func buildPartialBlock<Accumulated: TypedResilienceStrategy, Next: ResilienceStrategy>(
        accumulated: Accumulated,
        next: Next
    ) -> NestedStrategy<Accumulated, TypedStrategyAdapter<Next, Accumulated.Value>> {
        NestedStrategy(outer: accumulated, inner: TypedStrategyAdapter(next))
    }

    /// Strategies for any result type so far, with a typed strategy inside them.
    @inlinable
    public static func buildPartialBlock<Accumulated: ResilienceStrategy, Next: TypedResilienceStrategy>(
        accumulated: Accumulated,
        next: Next
    ) -> NestedStrategy<TypedStrategyAdapter<Accumulated, Next.Value>, Next> {
        NestedStrategy(outer: TypedStrategyAdapter(accumulated), inner: next)
    }

    /// A strategy under an `if` without `else`.
    @inlinable
    public static func buildOptional<Wrapped: ComposableStrategy>(_ wrapped: Wrapped?) -> OptionalStrategy<Wrapped> {
        OptionalStrategy(wrapped)
    }

    /// The `if` branch of an `if`/`else`.
    @inlinable
    public static func buildEither<First: ComposableStrategy, Second: ComposableStrategy>(
        first: First
    ) -> EitherStrategy<First, Second> {
        .first(first)
    }

    /// The `else` branch of an `if`/`else`.
    @inlinable
    public static func buildEither<First: ComposableStrategy, Second: ComposableStrategy>(
        second: Second
    ) -> EitherStrategy<First, Second> {
        .second(second)
    }
}
