/// The link through which a fleet's sync steers one local ``CircuitBreaker``, so that every instance
/// of a service shares one view of a downstream without a database on the call path.
///
/// Create one per shared breaker and instance, and give it to the breaker at creation; give the same
/// object to the fleet's sync (the `ResiliencePostgres` product's, or your own):
///
/// ```swift
/// let ocrFleet = FleetCoordination(instance: podName, configuration: .default)
/// let ocr = CircuitBreaker(name: "ocr", configuration: .default, fleet: ocrFleet)
/// sync.register(ocrFleet)   // the sync calls report and apply every second
/// ```
///
/// Every ``FleetConfiguration/syncInterval`` the sync, for each coordination:
/// 1. calls ``report(unixTime:)`` and sends the ``FleetBreakerReport`` to the shared store, which
///    upserts its summary and applies its probe request to the breaker's ``FleetProbeLeases``;
/// 2. reads the breaker's ``FleetBreakerView`` back (every instance's summary, and the leases), in the
///    same round trip as every other shared breaker's;
/// 3. calls ``apply(_:acknowledging:unixTime:)`` with the view and the report it sent.
///
/// The breaker then follows the fleet (see ``CircuitBreakerStateMachine/followFleet(_:acknowledging:instance:at:unixTime:configuration:fleet:)``):
/// it opens within one sync interval of the fleet deciding it is open (``CircuitBreakerTransition/Reason/fleetOpened``),
/// though its own rules may open it first; when its break ends it admits probes only while it holds a
/// fleet probe lease, so at most ``FleetConfiguration/probeHolders`` instances probe the downstream;
/// and it follows the outcome of the others' probes (``CircuitBreakerTransition/Reason/fleetClosed``,
/// ``CircuitBreakerTransition/Reason/fleetReopened``). Those changes of state reach the breaker's
/// observer as ``ResilienceEvent/Kind/circuitStateChanged`` events.
///
/// **Calls never wait for the fleet.** ``apply(_:acknowledging:unixTime:)`` takes the breaker's lock for
/// the time of a few comparisons; a call in the closed state does exactly what it does without a
/// fleet. When no sync has succeeded for ``FleetConfiguration/staleAfter`` (the store is down or
/// slow), the view is stale: ``isFollowingFleet`` turns `false` and the breaker acts alone, probing
/// on its own, until a sync succeeds again.
///
/// It holds the breaker's state weakly: a coordination whose breaker is gone reports `nil`.
public final class FleetCoordination: Sendable, CustomStringConvertible {
    /// This instance's name in the fleet: unique among the instances, stable for the process's life.
    public let instance: String
    /// The fleet's configuration: sync interval, time to live, staleness, leases, rules.
    public let configuration: FleetConfiguration

    private let member = AnnotatedMutex<(any FleetMember)?>(nil)

    /// Creates a coordination for one breaker of this instance.
    ///
    /// - Parameters:
    ///   - instance: This instance's name in the fleet (a pod name with a random suffix, for instance).
    ///   - configuration: The fleet's configuration, the same on every instance.
    public init(instance: String, configuration: FleetConfiguration = .default) {
        self.instance = instance
        self.configuration = configuration
    }

    /// Attaches the breaker that follows this coordination; a later breaker replaces an earlier one.
    func attach(_ member: any FleetMember) {
        self.member.withLock { $0 = member }
    }

    private var attached: (any FleetMember)? {
        member.withLock { $0 }
    }

    /// The name of the breaker attached, which keys its rows in the shared store; `nil` when none is
    /// (or it is gone).
    public var breakerName: String? {
        guard let member = attached, member.isAlive else { return nil }
        return member.breakerName
    }

    /// What the breaker tells the fleet now: its summary, and what it asks of the probe leases.
    ///
    /// - Parameter unixTime: The current time on the fleet's clock, in nanoseconds since the Unix
    ///   epoch (the store's clock is best, read at the start of the round).
    /// - Returns: The report to send, or `nil` when the breaker is gone.
    public func report(unixTime: Int64) -> FleetBreakerReport? {
        attached?.fleetReport(instance: instance, unixTime: unixTime, fleet: configuration)
    }

    /// Makes the breaker follow the fleet's view, read by a successful sync, and reports any change of
    /// state to its observer.
    ///
    /// - Parameters:
    ///   - view: What the sync read back.
    ///   - report: The report this sync sent (the store has it now), or `nil`.
    ///   - unixTime: The time on the fleet's clock the view is for, in nanoseconds since the Unix epoch.
    /// - Returns: The decision and what the breaker did, or `nil` when the breaker is gone.
    @discardableResult
    public func apply(_ view: FleetBreakerView, acknowledging report: FleetBreakerReport?, unixTime: Int64) -> FleetSyncResult? {
        attached?.followFleet(view, acknowledging: report, instance: instance, unixTime: unixTime, fleet: configuration)
    }

    /// Whether the breaker follows the fleet now: a sync succeeded less than
    /// ``FleetConfiguration/staleAfter`` ago. `false` means the shared view is stale (or there has not
    /// been a sync yet) and the breaker acts alone; export it as a gauge.
    public var isFollowingFleet: Bool {
        attached?.isFollowingFleet ?? false
    }

    /// A summary such as `fleet(ocr @ api-7f9c, following)`.
    public var description: String {
        "fleet(\(breakerName ?? "no breaker") @ \(instance), \(isFollowingFleet ? "following" : "alone"))"
    }
}

/// A breaker as its ``FleetCoordination`` sees it.
protocol FleetMember: AnyObject, Sendable {
    var breakerName: String { get }
    var isAlive: Bool { get }
    var isFollowingFleet: Bool { get }
    func fleetReport(instance: String, unixTime: Int64, fleet: FleetConfiguration) -> FleetBreakerReport?
    func followFleet(
        _ view: FleetBreakerView,
        acknowledging report: FleetBreakerReport?,
        instance: String,
        unixTime: Int64,
        fleet: FleetConfiguration
    ) -> FleetSyncResult?
}

/// A ``CircuitBreaker``'s state and what is needed to act on it, for its ``FleetCoordination``.
///
/// Holds the state weakly (the breaker and its pipeline views hold it strongly), so that a fleet's
/// sync does not keep a breaker alive.
final class CircuitBreakerFleetMember<ClockType: Clock>: FleetMember where ClockType.Duration == Duration {
    weak let storage: CircuitBreakerStorage?
    let clock: ClockType
    let origin: ClockType.Instant
    let configuration: CircuitBreakerConfiguration
    let observer: (any ResilienceObserver)?
    let breakerName: String

    init(
        storage: CircuitBreakerStorage,
        clock: ClockType,
        origin: ClockType.Instant,
        configuration: CircuitBreakerConfiguration,
        observer: (any ResilienceObserver)?,
        name: String
    ) {
        self.storage = storage
        self.clock = clock
        self.origin = origin
        self.configuration = configuration
        self.observer = observer
        self.breakerName = name
    }

    var isAlive: Bool { storage != nil }

    private func elapsed() -> Duration {
        origin.duration(to: clock.now)
    }

    var isFollowingFleet: Bool {
        guard let storage else { return false }
        let now = elapsed()
        return storage.machine.withLock { $0.isFollowingFleet(at: now) }
    }

    func fleetReport(instance: String, unixTime: Int64, fleet: FleetConfiguration) -> FleetBreakerReport? {
        guard let storage else { return nil }
        let now = elapsed()
        return storage.machine.withLock { $0.fleetReport(instance: instance, at: now, unixNow: unixTime, fleet: fleet) }
    }

    func followFleet(
        _ view: FleetBreakerView,
        acknowledging report: FleetBreakerReport?,
        instance: String,
        unixTime: Int64,
        fleet: FleetConfiguration
    ) -> FleetSyncResult? {
        guard let storage else { return nil }
        let now = elapsed()
        let configuration = configuration
        let result = storage.machine.withLock {
            $0.followFleet(
                view, acknowledging: report, instance: instance, at: now, unixNow: unixTime, configuration: configuration, fleet: fleet)
        }
        for transition in result.transitions {
            observer?.observe(.circuitStateChanged(strategy: breakerName, transition: transition))
            if transition.to == .open, configuration.halfOpensAutomatically {
                CircuitBreaker<ClockType>.scheduleHalfOpen(
                    storage: storage, clock: clock, origin: origin, configuration: configuration, observer: observer, name: breakerName)
            }
        }
        return result
    }
}
