/// Returns a replacement value instead of running the operation, in a chosen share of calls: to test
/// that your code copes with bad answers, such as an HTTP 503 response or an empty result (Polly's
/// chaos outcome strategy).
///
/// It produces values, so it is a ``TypedResilienceStrategy``: a pipeline holding a
/// `ResultInjection<Response>` runs only operations returning `Response`.
///
/// ```swift
/// let outage = ResultInjection(rate: 0.1, returning: Response(status: 503), switch: chaos)
/// let pipeline = ResiliencePipeline(name: "http") {
///     Retry(.default).classifyingResults { (response: Response) in response.status >= 500 ? .transient : nil }
///     outage
/// }
/// ```
///
/// An injected call reports a ``ResilienceEvent/Kind/faultInjected`` event (fault `result`) and
/// returns the value ``makeResult`` makes. See ``FaultInjection`` for the rate, the switch and the
/// cost.
public struct ResultInjection<Value>: TypedResilienceStrategy, ObservedStrategy {
    /// The share of calls whose result is replaced, in `0...1` (clamped when used), unless the switch
    /// overrides it.
    public var rate: Double {
        get { trigger.rate }
        set { trigger.rate = newValue }
    }
    /// The switch that turns injection on and off (and may override ``rate``); `nil` for always on.
    public var `switch`: FaultInjection.Switch? {
        get { trigger.switch }
        set { trigger.switch = newValue }
    }
    /// Where the draws come from.
    public var random: RandomSource {
        get { trigger.random }
        set { trigger.random = newValue }
    }
    /// The strategy's name, reported in its events.
    public var name: String
    /// Receives a ``ResilienceEvent/Kind/faultInjected`` event for every replaced result, or `nil`.
    public var observer: (any ResilienceObserver)?
    /// Makes the value each injected call returns.
    public let makeResult: @Sendable () -> Value

    @usableFromInline
    var trigger: FaultTrigger

    /// Creates a strategy returning the values `makeResult` makes.
    ///
    /// - Parameters:
    ///   - rate: The share of calls whose result is replaced, in `0...1`.
    ///   - name: The name reported in events.
    ///   - switch: The switch that turns injection on and off, or `nil` for always on.
    ///   - random: Where the draws come from (seeded in tests).
    ///   - observer: Receives the strategy's events.
    ///   - makeResult: Makes the value each injected call returns.
    public init(
        rate: Double,
        name: String = "result-injection",
        switch: FaultInjection.Switch? = nil,
        random: RandomSource = .system,
        observer: (any ResilienceObserver)? = nil,
        result makeResult: @escaping @Sendable () -> Value
    ) {
        self.trigger = FaultTrigger(rate: rate, switch: `switch`, random: random)
        self.name = name
        self.observer = observer
        self.makeResult = makeResult
    }

    /// Checks the rate, for one read from configuration.
    ///
    /// - Throws: ``ConfigurationError`` naming `rate` when it is outside `0...1`.
    public func validate() throws(ConfigurationError) {
        try FaultTrigger.validate(rate: rate)
    }

    /// Runs `operation`, or returns an injected value instead.
    ///
    /// - Parameter operation: The work to run, in the caller's isolation.
    /// - Returns: The operation's value, or the injected one (the operation then does not run).
    /// - Throws: `CancellationError` when the calling task is already cancelled; otherwise the
    ///   operation's error, unchanged.
    @inlinable
    nonisolated(nonsending) public func execute(
        _ operation: nonisolated(nonsending) () async throws -> Value
    ) async throws -> Value {
        try Task.checkCancellation()
        if trigger.fires() { return injectedResult() }
        return try await operation()
    }

    /// Reports and makes an injected value.
    @usableFromInline
    func injectedResult() -> Value {
        observer?.observe(.faultInjected(strategy: name, fault: "result"))
        return makeResult()
    }

    /// The strategy and its rate, such as `result-injection(0.1)`.
    public var description: String {
        "\(name)(\(rate))"
    }
}

extension ResultInjection where Value: Sendable {
    /// Creates a strategy returning `value`.
    ///
    /// - Parameters:
    ///   - rate: The share of calls whose result is replaced, in `0...1`.
    ///   - value: The value each injected call returns.
    ///   - name: The name reported in events.
    ///   - switch: The switch that turns injection on and off, or `nil` for always on.
    ///   - random: Where the draws come from (seeded in tests).
    ///   - observer: Receives the strategy's events.
    public init(
        rate: Double,
        returning value: Value,
        name: String = "result-injection",
        switch: FaultInjection.Switch? = nil,
        random: RandomSource = .system,
        observer: (any ResilienceObserver)? = nil
    ) {
        self.init(rate: rate, name: name, switch: `switch`, random: random, observer: observer) { value }
    }
}
