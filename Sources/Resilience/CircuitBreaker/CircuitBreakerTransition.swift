/// A change of a circuit breaker's state: from where, to where, and why.
///
/// Returned by ``CircuitBreakerStateMachine``'s methods and reported to observers as
/// ``ResilienceEvent/Kind/circuitStateChanged`` (read it from ``ResilienceEvent/transition``).
public struct CircuitBreakerTransition: Hashable, Sendable, CustomStringConvertible {
    /// Why a circuit breaker changed state.
    ///
    /// A struct with static members rather than an enum, so reasons can be added without breaking
    /// code that switches over them.
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        @usableFromInline
        enum Storage: String, Hashable, Sendable {
            case consecutiveFailures, failureRate, slowCallRate, breakElapsed, probesSucceeded, probeFailed, slowProbe
            case isolated, disabled, released, reset
            case fleetOpened, fleetClosed, fleetReopened
        }

        @usableFromInline
        let storage: Storage

        @inlinable
        init(_ storage: Storage) {
            self.storage = storage
        }

        /// Closed to open: ``CircuitBreakerConfiguration/consecutiveFailureThreshold`` failures in a row.
        public static let consecutiveFailures = Reason(.consecutiveFailures)
        /// Closed to open: the failure rate in the sliding window reached
        /// ``CircuitBreakerConfiguration/failureRateThreshold``.
        public static let failureRate = Reason(.failureRate)
        /// Closed to open: the slow-call rate in the sliding window reached the ``SlowCallRule``'s rate.
        public static let slowCallRate = Reason(.slowCallRate)
        /// Open to half-open: the break duration has passed and a call arrived (or, with
        /// ``CircuitBreakerConfiguration/halfOpensAutomatically``, the break ended).
        public static let breakElapsed = Reason(.breakElapsed)
        /// Half-open to closed: the probes passed the ``CircuitBreakerConfiguration/halfOpenRule``.
        public static let probesSucceeded = Reason(.probesSucceeded)
        /// Half-open to open: a probe failed (or, under ``HalfOpenRule/failureRate(_:overProbes:)``, too
        /// many probes failed or were slow).
        public static let probeFailed = Reason(.probeFailed)
        /// Half-open to open: a probe succeeded, but slower than the ``SlowCallRule``'s threshold.
        public static let slowProbe = Reason(.slowProbe)
        /// Held open by hand: ``CircuitBreaker/isolate()``.
        public static let isolated = Reason(.isolated)
        /// Switched off by hand: ``CircuitBreaker/disable()``.
        public static let disabled = Reason(.disabled)
        /// A manual state ended: ``CircuitBreaker/release()``.
        public static let released = Reason(.released)
        /// Reset by hand: ``CircuitBreaker/reset()``.
        public static let reset = Reason(.reset)
        /// Closed to open: the fleet decided the downstream is failing (a ``FleetDecision`` that
        /// ``FleetDecision/isOpen``), before this instance's own rules did.
        public static let fleetOpened = Reason(.fleetOpened)
        /// Open or half-open to closed: another instance's probe for the fleet succeeded
        /// (``FleetProbeVerdict/Outcome/closed``).
        public static let fleetClosed = Reason(.fleetClosed)
        /// Half-open to open: another instance's probe for the fleet failed
        /// (``FleetProbeVerdict/Outcome/reopened``). An open circuit following such a verdict starts a
        /// new break without a change of state to report.
        public static let fleetReopened = Reason(.fleetReopened)

        /// The reason's name, such as `failureRate`.
        public var description: String { storage.rawValue }
    }

    /// The state before the change.
    public var from: CircuitState
    /// The state after the change.
    public var to: CircuitState
    /// Why the state changed.
    public var reason: Reason

    /// Creates a transition.
    ///
    /// - Parameters:
    ///   - from: The state before the change.
    ///   - to: The state after the change.
    ///   - reason: Why the state changed.
    @inlinable
    public init(from: CircuitState, to: CircuitState, reason: Reason) {
        self.from = from
        self.to = to
        self.reason = reason
    }

    /// A summary such as `closed -> open (consecutiveFailures)`.
    public var description: String {
        "\(from) -> \(to) (\(reason))"
    }
}

/// How one call through a circuit breaker counts.
///
/// ``CircuitBreaker/execute(_:)`` decides it for you (from the error's category); the permit API
/// (``CircuitBreaker/acquirePermit()``) and ``CircuitBreakerStateMachine`` take it explicitly.
///
/// A struct with static members rather than an enum, so outcomes can be added without breaking code
/// that switches over them.
public struct CircuitBreakerOutcome: Hashable, Sendable, CustomStringConvertible {
    @usableFromInline
    enum Storage: String, Hashable, Sendable {
        case success, failure, ignored
    }

    @usableFromInline
    let storage: Storage

    @inlinable
    init(_ storage: Storage) {
        self.storage = storage
    }

    /// The call succeeded. It still counts as slow when it took longer than the ``SlowCallRule``'s threshold.
    @inlinable
    public static var success: CircuitBreakerOutcome { CircuitBreakerOutcome(.success) }
    /// The call failed in a way that says the downstream is unhealthy.
    @inlinable
    public static var failure: CircuitBreakerOutcome { CircuitBreakerOutcome(.failure) }
    /// The call says nothing about the downstream's health (a permanent error such as a 404, a
    /// cancellation): it counts neither way, but a half-open probe slot is still given back.
    @inlinable
    public static var ignored: CircuitBreakerOutcome { CircuitBreakerOutcome(.ignored) }

    /// The outcome's name, such as `failure`.
    public var description: String { storage.rawValue }
}
