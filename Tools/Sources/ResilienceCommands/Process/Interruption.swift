import Resilience

/// Forwards the signals `resilience` receives to the running attempt and stops further attempts.
///
/// ``SignalForwarder`` calls ``interrupt(by:)`` when `SIGINT`, `SIGTERM` or `SIGHUP` arrives; tests
/// may call it directly. The first call sends the signal to the process group of the running attempt
/// (if any), cancels the retry loop (ending a wait between attempts at once) and makes every later
/// attempt stop before it starts; later calls forward their signal too.
///
/// `Sendable`: its state is behind a lock (``LockedState``).
package final class Interruption: Sendable {
    private struct State {
        var signal: Int32?
        var child: RunningChild?
        var actions: [@Sendable () -> Void] = []
    }

    private let state = LockedState(State())

    /// Creates an interruption that has not happened yet.
    package init() {}

    /// The first signal received, or `nil` while there was none.
    package var signal: Int32? { state.withLock { $0.signal } }

    /// Records `signal`, forwards it to the running attempt's process group and runs the actions
    /// registered with ``whenInterrupted(_:)``.
    ///
    /// - Parameter signal: The signal received, such as `SIGTERM`.
    package func interrupt(by signal: Int32) {
        let (child, actions) = state.withLock { state in
            let first = state.signal == nil
            if first { state.signal = signal }
            let actions = first ? state.actions : []
            if first { state.actions = [] }
            return (state.child, actions)
        }
        child?.signalGroup(signal)
        for action in actions { action() }
    }

    /// Runs `action` on the first interruption, or at once if it already happened.
    ///
    /// - Parameter action: What to do, such as cancelling the retry loop.
    package func whenInterrupted(_ action: @escaping @Sendable () -> Void) {
        let alreadyInterrupted = state.withLock { state in
            if state.signal == nil { state.actions.append(action) }
            return state.signal != nil
        }
        if alreadyInterrupted { action() }
    }

    /// Makes `child` the attempt that signals are forwarded to; forwards at once if an interruption
    /// came while it was starting.
    func track(_ child: RunningChild) {
        let signal = state.withLock { state in
            state.child = child
            return state.signal
        }
        if let signal { child.signalGroup(signal) }
    }

    /// Stops forwarding signals to the attempt that ended.
    func untrack() {
        state.withLock { $0.child = nil }
    }
}
