import Resilience

/// Forwards the signals `resilience` receives to the running attempt and stops further attempts.
///
/// ``SignalForwarder`` calls ``interrupt(by:)`` when `SIGINT`, `SIGTERM` or `SIGHUP` arrives; tests
/// may call it directly. The first call sends the signal to the process group of the running attempt
/// (if any), cancels the retry loop (ending a wait between attempts at once) and makes every later
/// attempt stop before it starts; later calls forward their signal too.
///
/// Once the run has ended (``beginOutputPhase()``: no attempt runs, no wait is left), nothing is
/// left to forward a signal to or to stop, while writing the output can block indefinitely (a
/// stalled pipe, `--json-file` naming a FIFO without a reader): then a signal ends `resilience` at
/// once, by the signal itself (status 128+N), when the interruption was made with
/// `terminatesProcess` (as `resilience run`'s is; tests leave it off).
///
/// `Sendable`: its state is behind a lock (``LockedState``).
package final class Interruption: Sendable {
    private struct State {
        var signal: Int32?
        var child: RunningChild?
        var actions: [@Sendable () -> Void] = []
        var inOutputPhase = false
    }

    private let state = LockedState(State())
    private let terminatesProcess: Bool

    /// Creates an interruption that has not happened yet.
    ///
    /// - Parameter terminatesProcess: Whether a signal in the output phase ends the process (see the
    ///   type's documentation); off by default, for tests that run the engine in their own process.
    package init(terminatesProcess: Bool = false) {
        self.terminatesProcess = terminatesProcess
    }

    /// Marks the end of the run: from now on a signal ends the process (with `terminatesProcess`).
    package func beginOutputPhase() {
        state.withLock { $0.inOutputPhase = true }
    }

    /// The first signal received, or `nil` while there was none.
    package var signal: Int32? { state.withLock { $0.signal } }

    /// Records `signal`, forwards it to the running attempt's process group and runs the actions
    /// registered with ``whenInterrupted(_:)``.
    ///
    /// - Parameter signal: The signal received, such as `SIGTERM`.
    package func interrupt(by signal: Int32) {
        if terminatesProcess && state.withLock({ $0.inOutputPhase }) {
            ProcessSignals.terminate(by: signal)
        }
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
