/// What every strategy offers a ``ResiliencePipeline``, whatever results it handles: a description,
/// and a way to join the pipeline (take its name and observer).
///
/// Strategies adopt one of its two refinements: ``ResilienceStrategy`` for strategies that work with
/// any result type (a retry, a circuit breaker, a timeout), and ``TypedResilienceStrategy`` for those
/// that only make sense for one (a fallback, which must produce the call's value).
public protocol ComposableStrategy: Sendable, CustomStringConvertible {
    /// One line per strategy, outermost first; a single strategy is its `description`.
    var strategyDescriptions: [String] { get }

    /// This strategy as a member of the pipeline `context` describes: its events carry the pipeline's
    /// name and also go to the pipeline's observer.
    ///
    /// The default returns the strategy unchanged; strategies that emit events override it (adopting
    /// ``ObservedStrategy`` does it for them).
    ///
    /// - Parameter context: The pipeline's name and observer.
    func joining(_ context: PipelineContext) -> Self
}

extension ComposableStrategy {
    /// A single line: the strategy's `description`.
    public var strategyDescriptions: [String] { [description] }

    /// The strategy unchanged.
    ///
    /// - Parameter context: Ignored.
    public func joining(_ context: PipelineContext) -> Self { self }
}

/// Something that runs an operation with resilience, whatever the operation returns: a ``Retry``, a
/// ``Timeout``, a ``CircuitBreaker``, or a ``ResiliencePipeline`` of them.
///
/// Strategies are `Sendable` values (or references to shared state, like a circuit breaker) that can be
/// used from any number of tasks. Each runs the operation in the caller's isolation.
///
/// Write your own by conforming a type; it can then be placed in a pipeline like the built-in ones:
///
/// ```swift
/// struct Stopwatch: ResilienceStrategy {
///     let record: @Sendable (Duration) -> Void
///
///     nonisolated(nonsending) func execute<Result>(
///         _ operation: nonisolated(nonsending) () async throws -> Result
///     ) async throws -> Result {
///         let start = ContinuousClock.now
///         defer { record(start.duration(to: .now)) }
///         return try await operation()
///     }
///
///     var description: String { "stopwatch" }
/// }
/// ```
///
/// A strategy that produces values of one type (a fallback) adopts ``TypedResilienceStrategy`` instead,
/// so that a pipeline holding it only runs operations of that type.
public protocol ResilienceStrategy: ComposableStrategy {
    /// Runs `operation` under this strategy.
    ///
    /// - Parameter operation: The work to run, in the caller's isolation.
    /// - Returns: The operation's value.
    /// - Throws: What the strategy lets through: the operation's error, unchanged, or the strategy's
    ///   own (a ``TimeoutError``, a ``CircuitOpenError``, a `CancellationError`).
    nonisolated(nonsending) func execute<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result
}

/// Something that runs operations returning one type, `Value`, with resilience: a ``Fallback`` (which
/// must produce a `Value`), or a ``ResiliencePipeline`` holding one.
///
/// A pipeline that holds a typed strategy is typed too: its `execute` accepts only operations
/// returning `Value`, so a fallback of the wrong type is a compile error rather than a fallback that
/// silently never runs (as Polly v8's `ResiliencePipeline<T>`). The other strategies of the pipeline
/// take part unchanged.
///
/// ```swift
/// let vision = ResiliencePipeline(name: "vision") {
///     Fallback(returning: Analysis.skipped)      // makes the pipeline a TypedResilienceStrategy<Analysis>
///     Retry(.rateLimit)
///     visionBreaker
/// }
/// let analysis = try await vision.execute { try await visionService.analyse(image) }   // must return Analysis
/// ```
public protocol TypedResilienceStrategy<Value>: ComposableStrategy {
    /// What the operations this strategy runs return.
    associatedtype Value

    /// Runs `operation` under this strategy.
    ///
    /// - Parameter operation: The work to run, in the caller's isolation.
    /// - Returns: The operation's value, or one the strategy produced instead (a fallback's).
    /// - Throws: What the strategy lets through: the operation's error, unchanged, or the strategy's own.
    nonisolated(nonsending) func execute(
        _ operation: nonisolated(nonsending) () async throws -> Value
    ) async throws -> Value
}

/// A strategy value that reports through an observer it holds, and joins a pipeline by adding the
/// pipeline's observer and name to it.
public protocol ObservedStrategy: ComposableStrategy {
    /// Receives the strategy's events, or `nil`.
    var observer: (any ResilienceObserver)? { get set }
}

extension ObservedStrategy {
    /// This strategy reporting its events as part of a pipeline: stamped with its name, and sent to the
    /// pipeline's observer as well as the strategy's own.
    ///
    /// - Parameter context: The pipeline's name and observer.
    public func joining(_ context: PipelineContext) -> Self {
        var copy = self
        copy.observer = context.observer(combinedWith: observer)
        return copy
    }
}

/// What a ``ResiliencePipeline`` tells the strategies it holds: its name, and its observer.
public struct PipelineContext: Sendable {
    /// The pipeline's name, carried by every event its strategies emit.
    public var name: String
    /// The pipeline's observer, which receives every event its strategies emit, or `nil`.
    public var observer: (any ResilienceObserver)?

    /// Creates a context.
    ///
    /// - Parameters:
    ///   - name: The pipeline's name.
    ///   - observer: The pipeline's observer, or `nil`.
    public init(name: String, observer: (any ResilienceObserver)?) {
        self.name = name
        self.observer = observer
    }

    /// The observer a strategy should use inside the pipeline: events stamped with the pipeline's name,
    /// sent to the strategy's own observer (if any) and then to the pipeline's (if any).
    ///
    /// - Parameter own: The strategy's own observer.
    /// - Returns: The combined observer, or `nil` when neither observer exists.
    public func observer(combinedWith own: (any ResilienceObserver)?) -> (any ResilienceObserver)? {
        let targets = [own, observer].compactMap { $0 }
        guard !targets.isEmpty else { return nil }
        return PipelineObserver(pipeline: name, targets: targets)
    }
}

/// Stamps each event with its pipeline's name and forwards it.
struct PipelineObserver: ResilienceObserver {
    let pipeline: String
    let targets: [any ResilienceObserver]

    func observe(_ event: ResilienceEvent) {
        var stamped = event
        stamped.pipeline = pipeline
        for target in targets {
            target.observe(stamped)
        }
    }
}
