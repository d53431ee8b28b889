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
/// Running through it costs one indirect call into code specialised when the strategy was wrapped.
/// The library's strategies (and pipelines of them) do not depend on the operation's result type, so
/// they are specialised for an operation that stores its value; a strategy of your own is called
/// through the existential, its code then not specialised for the caller's result type (the
/// benchmarks measure both forms).
public struct AnyResilienceStrategy: ResilienceStrategy {
    /// The wrapped strategy.
    public let base: any ResilienceStrategy

    /// Runs an operation through `base`, specialised when `base` was wrapped; `nil` for strategies
    /// that may depend on the operation's result type.
    @usableFromInline
    let runStoringResult: RunStoringResult?
    /// `base` joining a pipeline, wrapped again the same way.
    @usableFromInline
    let join: (@Sendable (PipelineContext) -> AnyResilienceStrategy)?

    @usableFromInline
    typealias RunStoringResult = nonisolated(nonsending) @Sendable (nonisolated(nonsending) () async throws -> Void) async throws -> Void

    /// Wraps `base`; an ``AnyResilienceStrategy`` is not wrapped twice.
    ///
    /// - Parameter base: The strategy.
    @inlinable
    public init(_ base: some ResilienceStrategy) {
        if let erased = base as? AnyResilienceStrategy {
            self = erased
        } else if base is any ResultAgnosticStrategy {
            self.init(specialising: base)
        } else {
            self.init(joined: base)
        }
    }

    /// Closures made here are specialised for the wrapped type, with `Void` for the result; calling
    /// `base.execute` through the existential runs its generic, unspecialised code (a retry +
    /// breaker pipeline: 4,800 instructions a call against 1,200 specialised).
    @inlinable
    init<Strategy: ResilienceStrategy>(specialising base: Strategy) {
        self.base = base
        self.runStoringResult = { operation in try await base.execute(operation) }
        self.join = { context in AnyResilienceStrategy(base.joining(context)) }
    }

    /// Runs `operation` through the wrapped strategy.
    ///
    /// - Parameter operation: The work to run, in the caller's isolation.
    /// - Returns: What the strategy produces.
    /// - Throws: What the strategy lets through.
    @inlinable
    nonisolated(nonsending) public func execute<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        guard let runStoringResult else { return try await base.execute(operation) }
        var result: Result?
        try await runStoringResult { result = try await operation() }
        // The library's strategies return only what the operation returned, or throw.
        guard let result else { throw OperationNotRunError(strategy: base.description) }
        return result
    }

    /// The wrapped strategy's lines.
    public var strategyDescriptions: [String] { base.strategyDescriptions }

    /// The wrapped strategy's description.
    public var description: String { base.description }

    /// The wrapped strategy joining a pipeline.
    ///
    /// - Parameter context: The pipeline's name and observer.
    public func joining(_ context: PipelineContext) -> Self {
        join?(context) ?? AnyResilienceStrategy(joined: base.joining(context))
    }

    /// Calls `base` through the existential.
    @usableFromInline
    init(joined base: any ResilienceStrategy) {
        self.base = base
        self.runStoringResult = nil
        self.join = nil
    }
}

/// The library's strategies whose behaviour does not depend on the type of the operation's result,
/// so that an ``AnyResilienceStrategy`` can run them, specialised once, with an operation that
/// stores the caller's value. (A strategy of your own might depend on it; it is called as it is.)
@usableFromInline
protocol ResultAgnosticStrategy: ResilienceStrategy {}

extension Retry: ResultAgnosticStrategy {}
extension CircuitBreaker: ResultAgnosticStrategy {}
extension Timeout: ResultAgnosticStrategy {}
extension NestedStrategy: ResultAgnosticStrategy where Outer: ResultAgnosticStrategy, Inner: ResultAgnosticStrategy {}
extension OptionalStrategy: ResultAgnosticStrategy where Wrapped: ResultAgnosticStrategy {}
extension EitherStrategy: ResultAgnosticStrategy where First: ResultAgnosticStrategy, Second: ResultAgnosticStrategy {}
extension ResiliencePipeline: ResultAgnosticStrategy where Strategy: ResultAgnosticStrategy {}

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
/// Running through it costs one indirect call into code specialised when the strategy was wrapped.
public struct AnyTypedResilienceStrategy<Value>: TypedResilienceStrategy {
    /// The wrapped strategy.
    public let base: any TypedResilienceStrategy<Value>

    /// Runs an operation through `base`, specialised when `base` was wrapped.
    @usableFromInline
    let run: Run
    /// `base` joining a pipeline, wrapped again the same way.
    @usableFromInline
    let join: @Sendable (PipelineContext) -> AnyTypedResilienceStrategy<Value>

    @usableFromInline
    typealias Run = nonisolated(nonsending) @Sendable (nonisolated(nonsending) () async throws -> Value) async throws -> Value

    /// Wraps `base`; an ``AnyTypedResilienceStrategy`` is not wrapped twice.
    ///
    /// - Parameter base: The strategy.
    @inlinable
    public init(_ base: some TypedResilienceStrategy<Value>) {
        if let erased = base as? AnyTypedResilienceStrategy<Value> {
            self = erased
        } else {
            self.init(specialising: base)
        }
    }

    /// Wraps a strategy for any result type, for operations returning `Value`.
    ///
    /// - Parameter base: The strategy.
    @inlinable
    public init(_ base: some ResilienceStrategy) {
        self.init(specialising: TypedStrategyAdapter<_, Value>(base))
    }

    /// Closures made here are specialised for the wrapped type: calling `base.execute` through the
    /// existential runs its generic, unspecialised code (a retry + breaker pipeline with a fallback:
    /// 7,300 instructions a call against 1,400 specialised).
    @inlinable
    init<Strategy: TypedResilienceStrategy<Value>>(specialising base: Strategy) {
        self.base = base
        self.run = { operation in try await base.execute(operation) }
        self.join = { context in AnyTypedResilienceStrategy(specialising: base.joining(context)) }
    }

    /// Runs `operation` through the wrapped strategy.
    ///
    /// - Parameter operation: The work to run, in the caller's isolation.
    /// - Returns: What the strategy produces.
    /// - Throws: What the strategy lets through.
    @inlinable
    nonisolated(nonsending) public func execute(
        _ operation: nonisolated(nonsending) () async throws -> Value
    ) async throws -> Value {
        try await run(operation)
    }

    /// The wrapped strategy's lines.
    public var strategyDescriptions: [String] { base.strategyDescriptions }

    /// The wrapped strategy's description.
    public var description: String { base.description }

    /// The wrapped strategy joining a pipeline.
    ///
    /// - Parameter context: The pipeline's name and observer.
    public func joining(_ context: PipelineContext) -> Self {
        join(context)
    }
}

/// Thrown by an erased strategy whose wrapped strategy returned without running the operation (none of
/// the library's strategies does), rather than stopping the process.
@usableFromInline
struct OperationNotRunError: Error, CustomStringConvertible {
    /// The wrapped strategy's description.
    @usableFromInline
    let strategy: String

    @usableFromInline
    init(strategy: String) { self.strategy = strategy }

    @usableFromInline
    var description: String { "\(strategy) returned without running the operation" }
}
