/// Receives the ``ResilienceEvent``s that strategies emit.
///
/// Observers only watch: nothing they do flows back into a strategy's decisions. ``observe(_:)`` is
/// called synchronously on the task running the strategy, so it should be quick and must not block;
/// hand heavy work to another task.
///
/// Ready-made observers: ``LoggingObserver`` (a warning before each retry's wait, as tenacity's
/// `before_sleep_log`, and more) and
/// ``CompositeObserver``; `ResilienceTestKit` adds a recording observer for tests.
public protocol ResilienceObserver: Sendable {
    /// Called once for every event.
    ///
    /// - Parameter event: What happened.
    func observe(_ event: ResilienceEvent)
}

/// An observer made from a closure.
///
/// ```swift
/// let observer = ClosureObserver { event in
///     if case .retryScheduled = event.kind { retries.increment() }
/// }
/// ```
public struct ClosureObserver: ResilienceObserver {
    private let handler: @Sendable (ResilienceEvent) -> Void

    /// Creates an observer calling `handler` for every event.
    ///
    /// - Parameter handler: Called synchronously for every event.
    public init(_ handler: @escaping @Sendable (ResilienceEvent) -> Void) {
        self.handler = handler
    }

    /// Calls the closure.
    ///
    /// - Parameter event: What happened.
    public func observe(_ event: ResilienceEvent) {
        handler(event)
    }
}

/// An observer that forwards every event to several observers, in order.
public struct CompositeObserver: ResilienceObserver {
    /// The observers that receive each event, in order.
    public var observers: [any ResilienceObserver]

    /// Creates an observer forwarding to `observers`.
    ///
    /// - Parameter observers: The observers that receive each event, in order.
    public init(_ observers: [any ResilienceObserver]) {
        self.observers = observers
    }

    /// Forwards the event to every observer.
    ///
    /// - Parameter event: What happened.
    public func observe(_ event: ResilienceEvent) {
        for observer in observers {
            observer.observe(event)
        }
    }
}
