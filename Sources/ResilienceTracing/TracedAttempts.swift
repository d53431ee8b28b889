#if Tracing

import Resilience
import Synchronization
import Tracing

/// Runs each attempt of a retrying strategy in a span of its own, a child of the caller's span,
/// numbered as OpenTelemetry numbers HTTP resends.
///
/// Wrap the strategy that makes the attempts (a `Retry`; any strategy works, and each call it
/// makes to the operation is an attempt); everything inside it in a pipeline runs in the attempt's
/// span:
///
/// ```swift
/// let ocr = ResiliencePipeline(name: "ocr", observer: TracingObserver()) {
///     Timeout(.seconds(30))
///     TracedAttempts(Retry(.aggressive), operationName: "ocr attempt")   // or Retry(…).tracingAttempts(…)
///     ocrBreaker                                                         // inside each attempt's span
///     Timeout(.seconds(5))
/// }
/// ```
///
/// Each span carries `resilience.attempt` (the attempt's number, from 1), and, on a retry,
/// `resilience.resend_count` (the attempts before it, from 1; absent on the first, as OpenTelemetry's
/// `http.request.resend_count`). A failed attempt's span has the error status and the bounded
/// attributes `resilience.category` and `resilience.error_type`, not the error's message; the error
/// itself is rethrown unchanged.
///
/// **Why a wrapper.** A strategy placed inside the retry would see each attempt as an unrelated call,
/// with no way to know its number short of a task-local the retry sets on every attempt, a cost every
/// user of `Retry` would pay. Wrapping the retrying strategy, this one counts the calls it makes to the
/// operation: exact, and free for everyone else. An observer cannot do it at all: it hears of an
/// attempt after the fact and cannot open a span around it.
///
/// **Cost.** When the calling task has no `ServiceContext` (no span to be a child of), or the tracer is
/// the no-op tracer, the strategy runs `base` directly, after one task-local read.
public struct TracedAttempts<Base: ResilienceStrategy>: ResilienceStrategy {
    /// The strategy whose attempts are traced.
    public var base: Base
    /// The name of each attempt's span.
    public var operationName: String
    /// The kind of each attempt's span. Default: `.internal`.
    public var kind: SpanKind
    /// The tracer that starts the spans, or `nil` for `InstrumentationSystem.tracer`: the calling task's
    /// `withTracer` tracer, else the bootstrapped one.
    public var tracer: (any Tracer)?
    /// Classifies a failed attempt's error for its span's `resilience.category`: give it the retry's
    /// classifier. Default: `ErrorClassifier.default`.
    public var classifier: ErrorClassifier

    /// Traces each attempt of `base` in a span named `operationName`.
    ///
    /// - Parameters:
    ///   - base: The strategy whose attempts are traced, such as a `Retry`.
    ///   - operationName: The name of each attempt's span.
    ///   - kind: The kind of each attempt's span.
    ///   - tracer: The tracer that starts the spans, or `nil` (the default) for
    ///     `InstrumentationSystem.tracer`, resolved on each call.
    ///   - classifier: Classifies a failed attempt's error for its span.
    public init(
        _ base: Base,
        operationName: String,
        ofKind kind: SpanKind = .internal,
        tracer: (any Tracer)? = nil,
        classifier: ErrorClassifier = .default
    ) {
        self.base = base
        self.operationName = operationName
        self.kind = kind
        self.tracer = tracer
        self.classifier = classifier
    }

    /// Runs `operation` through `base`, each of its attempts in a span.
    ///
    /// - Parameter operation: The work to run, in the caller's isolation.
    /// - Returns: What `base` produces.
    /// - Throws: What `base` lets through, unchanged.
    @inlinable
    nonisolated(nonsending) public func execute<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        // Inlinable, so that the untraced path is specialised for the caller's types like `base` alone.
        guard let parent = ServiceContext.current else { return try await base.execute(operation) }
        return try await execute(operation, tracedUnder: parent)
    }

    /// Runs `operation` through `base`, each attempt in a child span of `parent`.
    @usableFromInline
    nonisolated(nonsending) func execute<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result,
        tracedUnder parent: ServiceContext
    ) async throws -> Result {
        let tracer = self.tracer ?? InstrumentationSystem.tracer
        if tracer is NoOpTracer { return try await base.execute(operation) }
        let attempts = Atomic<Int>(0)
        return try await base.execute {
            let attempt = attempts.add(1, ordering: .relaxed).newValue
            let span = tracer.startSpan(operationName, context: parent, ofKind: kind)
            defer { span.end() }
            span.attributes[AttributeKey.attempt] = Int64(attempt)
            if attempt > 1 { span.attributes[AttributeKey.resendCount] = Int64(attempt - 1) }
            do {
                return try await ServiceContext.$current.withValue(span.context) { try await operation() }
            } catch {
                span.attributes[AttributeKey.category] = classifier.classify(error).category.name
                span.attributes[AttributeKey.errorType] = String(reflecting: type(of: error))
                span.setStatus(SpanStatus(code: .error))
                throw error
            }
        }
    }

    /// The base strategy's lines, the outermost marked as traced.
    public var strategyDescriptions: [String] {
        var lines = base.strategyDescriptions
        if let first = lines.first { lines[0] = "\(first) [attempts traced as \"\(operationName)\"]" }
        return lines
    }

    /// The base strategy's description, marked as traced.
    public var description: String {
        strategyDescriptions.joined(separator: " → ")
    }

    /// The base strategy joining the pipeline; the tracing is unchanged.
    ///
    /// - Parameter context: The pipeline's name and observer.
    public func joining(_ context: PipelineContext) -> Self {
        var copy = self
        copy.base = base.joining(context)
        return copy
    }
}

extension ResilienceStrategy {
    /// This strategy with each of its attempts in a span named `operationName`: a ``TracedAttempts``.
    ///
    /// ```swift
    /// let retry = Retry(.aggressive).tracingAttempts("ocr attempt")
    /// ```
    ///
    /// - Parameters:
    ///   - operationName: The name of each attempt's span.
    ///   - kind: The kind of each attempt's span.
    ///   - tracer: The tracer that starts the spans, or `nil` for `InstrumentationSystem.tracer`.
    ///   - classifier: Classifies a failed attempt's error for its span.
    /// - Returns: The strategy, traced.
    public func tracingAttempts(
        _ operationName: String,
        ofKind kind: SpanKind = .internal,
        tracer: (any Tracer)? = nil,
        classifier: ErrorClassifier = .default
    ) -> TracedAttempts<Self> {
        TracedAttempts(self, operationName: operationName, ofKind: kind, tracer: tracer, classifier: classifier)
    }
}

#endif
