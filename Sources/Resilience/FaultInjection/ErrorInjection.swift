/// Throws an error instead of running the operation, in a chosen share of calls: to test that what
/// surrounds the call (retries, fallbacks, breakers, your own code) copes with failures (Polly's
/// chaos fault strategy).
///
/// ```swift
/// let chaos = FaultInjection.Switch()
/// let flaky = ErrorInjection(rate: 0.2, switch: chaos, random: .seeded(42)) { URLError(.networkConnectionLost) }
/// ```
///
/// An injected call throws the error made by ``makeError``, unchanged, without running the
/// operation, and reports a ``ResilienceEvent/Kind/faultInjected`` event (fault `error`). The other
/// calls run the operation as is. See ``FaultInjection`` for the rate, the switch and the cost.
public struct ErrorInjection: ResilienceStrategy, ObservedStrategy {
    /// The share of calls that fail, in `0...1` (clamped when used), unless the switch overrides it.
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
    /// Receives a ``ResilienceEvent/Kind/faultInjected`` event for every injected error, or `nil`.
    public var observer: (any ResilienceObserver)?
    /// Makes the error each injected call throws.
    public let makeError: @Sendable () -> any Error

    @usableFromInline
    var trigger: FaultTrigger

    /// Creates a strategy injecting the errors `makeError` makes.
    ///
    /// - Parameters:
    ///   - rate: The share of calls that fail, in `0...1`.
    ///   - name: The name reported in events.
    ///   - switch: The switch that turns injection on and off, or `nil` for always on.
    ///   - random: Where the draws come from (seeded in tests).
    ///   - observer: Receives the strategy's events.
    ///   - makeError: Makes the error each injected call throws.
    public init(
        rate: Double,
        name: String = "error-injection",
        switch: FaultInjection.Switch? = nil,
        random: RandomSource = .system,
        observer: (any ResilienceObserver)? = nil,
        error makeError: @escaping @Sendable () -> any Error
    ) {
        self.trigger = FaultTrigger(rate: rate, switch: `switch`, random: random)
        self.name = name
        self.observer = observer
        self.makeError = makeError
    }

    /// Creates a strategy injecting `error`.
    ///
    /// - Parameters:
    ///   - rate: The share of calls that fail, in `0...1`.
    ///   - error: The error each injected call throws.
    ///   - name: The name reported in events.
    ///   - switch: The switch that turns injection on and off, or `nil` for always on.
    ///   - random: Where the draws come from (seeded in tests).
    ///   - observer: Receives the strategy's events.
    public init(
        rate: Double,
        error: any Error,
        name: String = "error-injection",
        switch: FaultInjection.Switch? = nil,
        random: RandomSource = .system,
        observer: (any ResilienceObserver)? = nil
    ) {
        self.init(rate: rate, name: name, switch: `switch`, random: random, observer: observer) { error }
    }

    /// Checks the rate, for one read from configuration.
    ///
    /// - Throws: ``ConfigurationError`` naming `rate` when it is outside `0...1`.
    public func validate() throws(ConfigurationError) {
        try FaultTrigger.validate(rate: rate)
    }

    /// Runs `operation`, or throws an injected error instead.
    ///
    /// - Parameter operation: The work to run, in the caller's isolation.
    /// - Returns: The operation's value.
    /// - Throws: The injected error; `CancellationError` when the calling task is already cancelled;
    ///   otherwise the operation's error, unchanged.
    @inlinable
    nonisolated(nonsending) public func execute<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        try Task.checkCancellation()
        if trigger.fires() { throw injectedError() }
        return try await operation()
    }

    /// Reports and makes an injected error.
    @usableFromInline
    func injectedError() -> any Error {
        observer?.observe(.faultInjected(strategy: name, fault: "error"))
        return makeError()
    }

    /// The strategy and its rate, such as `error-injection(0.2)`.
    public var description: String {
        "\(name)(\(rate))"
    }
}
