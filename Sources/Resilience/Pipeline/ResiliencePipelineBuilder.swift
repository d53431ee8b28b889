/// Builds a ``ResiliencePipeline`` from strategies listed outer to inner.
///
/// ```swift
/// ResiliencePipeline(name: "ocr") {
///     try Timeout(.seconds(30))        // the whole call
///     Retry(.aggressive)
///     ocrBreaker
///     try Timeout(.seconds(5))         // each attempt
/// }
/// ```
///
/// `if`, `if`/`else` and `if let` work, so a configuration can leave a strategy out.
@resultBuilder
public enum ResiliencePipelineBuilder {
    /// The first (outermost) strategy.
    @inlinable
    public static func buildPartialBlock<First: ResilienceStrategy>(first: First) -> First {
        first
    }

    /// The strategies so far, with `next` inside them.
    @inlinable
    public static func buildPartialBlock<Accumulated: ResilienceStrategy, Next: ResilienceStrategy>(
        accumulated: Accumulated,
        next: Next
    ) -> NestedStrategy<Accumulated, Next> {
        NestedStrategy(outer: accumulated, inner: next)
    }

    /// A strategy under an `if` without `else`.
    @inlinable
    public static func buildOptional<Wrapped: ResilienceStrategy>(_ wrapped: Wrapped?) -> OptionalStrategy<Wrapped> {
        OptionalStrategy(wrapped)
    }

    /// The `if` branch of an `if`/`else`.
    @inlinable
    public static func buildEither<First: ResilienceStrategy, Second: ResilienceStrategy>(
        first: First
    ) -> EitherStrategy<First, Second> {
        .first(first)
    }

    /// The `else` branch of an `if`/`else`.
    @inlinable
    public static func buildEither<First: ResilienceStrategy, Second: ResilienceStrategy>(
        second: Second
    ) -> EitherStrategy<First, Second> {
        .second(second)
    }
}
