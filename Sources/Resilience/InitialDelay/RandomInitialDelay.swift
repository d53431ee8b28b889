/// A random delay before the first call, uniform in `0..<maxDelay`: the usual fix for a thundering
/// herd of clients that all start (or restart after an outage) at the same moment.
///
/// Jitter spreads retries; this spreads first attempts. Put it outermost, or outside the ``Retry``:
///
/// ```swift
/// let pipeline = ResiliencePipeline(name: "sync") {
///     RandomInitialDelay(upTo: .seconds(5))
///     Retry(.default)
/// }
/// ```
///
/// Cancellation during the delay ends the call with `CancellationError` before the first attempt.
public struct RandomInitialDelay<ClockType: Clock>: ResilienceStrategy, ObservedStrategy where ClockType.Duration == Duration {
    /// The upper bound of the delay.
    public var maxDelay: Duration
    /// The strategy's name, reported in its events.
    public var name: String
    /// The clock the delay is measured on.
    public var clock: ClockType
    /// Where the delay draws its random numbers.
    public var random: RandomSource
    /// Receives a ``ResilienceEvent/Kind/initialDelay`` event for every delayed call, or `nil`.
    public var observer: (any ResilienceObserver)?

    /// Creates a random initial delay.
    ///
    /// - Parameters:
    ///   - maxDelay: The upper bound of the delay; a negative one counts as zero.
    ///   - name: The name reported in events.
    ///   - clock: The clock the delay is measured on.
    ///   - random: Where the delay draws its random numbers.
    ///   - observer: Receives the strategy's events.
    public init(
        upTo maxDelay: Duration,
        name: String = "initial-delay",
        clock: ClockType,
        random: RandomSource = .system,
        observer: (any ResilienceObserver)? = nil
    ) {
        self.maxDelay = maxDelay
        self.name = name
        self.clock = clock
        self.random = random
        self.observer = observer
    }

    /// Checks the bound, for one read from configuration.
    ///
    /// - Throws: ``ConfigurationError`` naming `maxDelay` when it is negative.
    public func validate() throws(ConfigurationError) {
        guard maxDelay >= .zero else { throw .invalid("maxDelay", "must not be negative, got \(maxDelay)") }
    }

    /// Waits a random delay, then runs `operation`.
    ///
    /// - Parameter operation: The work to run, in the caller's isolation.
    /// - Returns: The operation's value.
    /// - Throws: `CancellationError` if cancelled during the delay; otherwise the operation's error.
    @inlinable
    nonisolated(nonsending) public func execute<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        try Task.checkCancellation()
        try await delay()
        return try await operation()
    }

    @usableFromInline
    nonisolated(nonsending) func delay() async throws {
        var generator = random.makeGenerator()
        let delay = Duration.nanoseconds(generator.nextNanoseconds(from: 0, upTo: max(maxDelay.saturatingNanoseconds, 0)))
        guard delay > .zero else { return }
        observer?.observe(.initialDelay(strategy: name, delay: delay))
        try await clock.sleep(until: clock.now.advanced(by: delay), tolerance: nil)
    }

    /// The bound, such as `initial-delay(up to 5.0 s)`.
    public var description: String {
        "\(name)(up to \(maxDelay.inSeconds) s)"
    }

}

extension RandomInitialDelay where ClockType == ContinuousClock {
    /// Creates a random initial delay on the continuous clock.
    ///
    /// - Parameters:
    ///   - maxDelay: The upper bound of the delay; a negative one counts as zero.
    ///   - name: The name reported in events.
    ///   - random: Where the delay draws its random numbers.
    ///   - observer: Receives the strategy's events.
    public init(
        upTo maxDelay: Duration,
        name: String = "initial-delay",
        random: RandomSource = .system,
        observer: (any ResilienceObserver)? = nil
    ) {
        self.init(upTo: maxDelay, name: name, clock: ContinuousClock(), random: random, observer: observer)
    }
}
