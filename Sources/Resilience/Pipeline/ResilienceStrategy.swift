/// Something that runs an operation with resilience: a ``Retry``, a ``Timeout``, a circuit breaker, a
/// fallback, or a ``ResiliencePipeline`` of them.
///
/// Strategies are `Sendable` values (or references to shared state, like a circuit breaker) that can be
/// used from any number of tasks. Each runs the operation in the caller's isolation.
///
/// Write your own by conforming a type; it can then be placed in a pipeline like the built-in ones:
///
/// ```swift
/// struct Bulkhead: ResilienceStrategy {
///     let permits: Semaphore
///     nonisolated(nonsending) func execute<Result>(
///         _ operation: nonisolated(nonsending) () async throws -> Result
///     ) async throws -> Result {
///         try await permits.withPermit { try await operation() }
///     }
///     var description: String { "bulkhead" }
/// }
/// ```
public protocol ResilienceStrategy: Sendable, CustomStringConvertible {
    /// Runs `operation` under this strategy.
    ///
    /// - Parameter operation: The work to run, in the caller's isolation.
    /// - Returns: What the strategy produces: the operation's value, or a fallback's.
    /// - Throws: What the strategy lets through: the operation's error, unchanged, or the strategy's
    ///   own (a ``TimeoutError``, an open circuit).
    nonisolated(nonsending) func execute<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result

    /// One line per strategy, outermost first; a single strategy is its `description`.
    var strategyDescriptions: [String] { get }

    /// This strategy as a member of the pipeline `context` describes: its events carry the pipeline's
    /// name and also go to the pipeline's observer.
    ///
    /// The default returns the strategy unchanged; strategies that emit events override it.
    ///
    /// - Parameter context: The pipeline's name and observer.
    func joining(_ context: PipelineContext) -> Self
}

extension ResilienceStrategy {
    /// A single line: the strategy's `description`.
    public var strategyDescriptions: [String] { [description] }

    /// The strategy unchanged.
    ///
    /// - Parameter context: Ignored.
    public func joining(_ context: PipelineContext) -> Self { self }
}

/// A strategy value that reports through an observer it holds, and joins a pipeline by adding the
/// pipeline's observer and name to it.
public protocol ObservedStrategy: ResilienceStrategy {
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
