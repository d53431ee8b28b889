/// Waits before running the operation, in a chosen share of calls: to test that timeouts, hedging
/// and your own deadlines cope with slow calls (Polly's chaos latency strategy).
///
/// ```swift
/// let slow = LatencyInjection(rate: 0.05, delay: .seconds(2), switch: chaos)
/// ```
///
/// An injected call reports a ``ResilienceEvent/Kind/faultInjected`` event (fault such as
/// `latency(2.0 s)`), sleeps ``delay`` on the injected clock, then runs the operation. Cancellation
/// during the wait ends the call with `CancellationError`, without running the operation. See
/// ``FaultInjection`` for the rate, the switch and the cost.
public struct LatencyInjection<ClockType: Clock>: ResilienceStrategy, ObservedStrategy where ClockType.Duration == Duration {
    /// The share of calls that are delayed, in `0...1` (clamped when used), unless the switch
    /// overrides it.
    public var rate: Double {
        get { trigger.rate }
        set { trigger.rate = newValue }
    }
    /// How long an injected call waits before running the operation; a negative delay counts as zero.
    public var delay: Duration
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
    /// The clock the delays are measured on.
    public var clock: ClockType
    /// The strategy's name, reported in its events.
    public var name: String
    /// Receives a ``ResilienceEvent/Kind/faultInjected`` event for every injected delay, or `nil`.
    public var observer: (any ResilienceObserver)?

    @usableFromInline
    var trigger: FaultTrigger

    /// Creates a strategy injecting delays.
    ///
    /// - Parameters:
    ///   - rate: The share of calls that are delayed, in `0...1`.
    ///   - delay: How long an injected call waits.
    ///   - name: The name reported in events.
    ///   - switch: The switch that turns injection on and off, or `nil` for always on.
    ///   - clock: The clock the delays are measured on.
    ///   - random: Where the draws come from (seeded in tests).
    ///   - observer: Receives the strategy's events.
    public init(
        rate: Double,
        delay: Duration,
        name: String = "latency-injection",
        switch: FaultInjection.Switch? = nil,
        clock: ClockType,
        random: RandomSource = .system,
        observer: (any ResilienceObserver)? = nil
    ) {
        self.trigger = FaultTrigger(rate: rate, switch: `switch`, random: random)
        self.delay = delay
        self.clock = clock
        self.name = name
        self.observer = observer
    }

    /// Checks the rate and the delay, for values read from configuration.
    ///
    /// - Throws: ``ConfigurationError`` naming `rate` (outside `0...1`) or `delay` (negative).
    public func validate() throws(ConfigurationError) {
        try FaultTrigger.validate(rate: rate)
        guard delay >= .zero else { throw .invalid("delay", "must not be negative, got \(delay)") }
    }

    /// Runs `operation`, after an injected delay in the chosen share of calls.
    ///
    /// - Parameter operation: The work to run, in the caller's isolation.
    /// - Returns: The operation's value.
    /// - Throws: `CancellationError` when the calling task is already cancelled or is cancelled during
    ///   the delay; otherwise the operation's error, unchanged.
    @inlinable
    nonisolated(nonsending) public func execute<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        try Task.checkCancellation()
        if trigger.fires() { try await injectDelay() }
        return try await operation()
    }

    /// Reports and waits an injected delay.
    @usableFromInline
    nonisolated(nonsending) func injectDelay() async throws {
        let delay = max(self.delay, .zero)
        observer?.observe(.faultInjected(strategy: name, fault: "latency(\(delay.inSeconds) s)"))
        try await clock.sleep(until: clock.now.advanced(by: delay), tolerance: nil)
    }

    /// The strategy, its rate and delay, such as `latency-injection(0.05, 2.0 s)`.
    public var description: String {
        "\(name)(\(rate), \(delay.inSeconds) s)"
    }
}

extension LatencyInjection where ClockType == ContinuousClock {
    /// Creates a strategy injecting delays on the continuous clock.
    ///
    /// - Parameters:
    ///   - rate: The share of calls that are delayed, in `0...1`.
    ///   - delay: How long an injected call waits.
    ///   - name: The name reported in events.
    ///   - switch: The switch that turns injection on and off, or `nil` for always on.
    ///   - random: Where the draws come from.
    ///   - observer: Receives the strategy's events.
    public init(
        rate: Double,
        delay: Duration,
        name: String = "latency-injection",
        switch: FaultInjection.Switch? = nil,
        random: RandomSource = .system,
        observer: (any ResilienceObserver)? = nil
    ) {
        self.init(
            rate: rate, delay: delay, name: name, switch: `switch`, clock: ContinuousClock(), random: random,
            observer: observer
        )
    }
}
