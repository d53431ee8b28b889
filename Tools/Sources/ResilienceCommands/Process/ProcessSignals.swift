import Resilience

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The signal dispositions `resilience` changes for itself, so that the commands it starts get the
/// dispositions they would have had without it.
///
/// `resilience` ignores `SIGPIPE` (a command that exits without reading its replayed input must not
/// kill it) and handles `SIGINT`, `SIGTERM` and `SIGHUP` itself (to forward them). Ignored signals
/// stay ignored across `exec`, so every command is started with these reset to their default, except
/// those that were already ignored when `resilience` started (as `nohup` or a shell's background job
/// arrange): those stay ignored, as they would have without `resilience`.
package enum ProcessSignals {
    private static let state = LockedState<[Int32: Bool]>([:])

    /// Ignores `signal` in this process, remembering whether it was ignored before.
    ///
    /// - Parameter signal: The signal, such as `SIGPIPE`.
    /// - Returns: Whether the signal was already ignored when `resilience` started (before any call
    ///   of this method changed it).
    @discardableResult
    package static func ignore(_ signal: Int32) -> Bool {
        state.withLock { wasIgnored in
            let previouslyIgnored = ignoreSignal(signal)
            if wasIgnored[signal] == nil {
                wasIgnored[signal] = previouslyIgnored
            }
            return wasIgnored[signal] ?? previouslyIgnored
        }
    }

    /// Whether `signal` was ignored before ``ignore(_:)`` first changed it.
    ///
    /// - Parameter signal: A signal number.
    /// - Returns: `nil` if `resilience` never changed the signal's disposition.
    package static func wasIgnoredAtStart(_ signal: Int32) -> Bool? {
        state.withLock { $0[signal] }
    }

    /// Ends this process by `signal`, as its default action would have: the disposition goes back to
    /// the default, the signal is unblocked in the calling thread and raised there, so the parent sees
    /// a process killed by `signal` (a shell reports 128+N). Should the signal not end it, the process
    /// exits with status 128+N.
    ///
    /// - Parameter signal: The signal received, such as `SIGTERM`.
    package static func terminate(by signal: Int32) -> Never {
        resetToDefault(signal)
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, signal)
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
        raise(signal)
        _exit(128 + signal)
    }

    /// The signals a command must get back at their default disposition: those `resilience` ignores
    /// or handles that were not ignored when it started.
    package static var resetInChildren: [Int32] {
        state.withLock { wasIgnored in wasIgnored.filter { !$0.value }.map(\.key).sorted() }
    }
}

/// Sets `number` to be ignored; returns whether it already was. (A free function, so that a parameter
/// called `signal` does not shadow the C library's `signal(2)`.)
private func ignoreSignal(_ number: Int32) -> Bool {
    let previous = signal(number, SIG_IGN)
    return previous.map { unsafeBitCast($0, to: Int.self) } == unsafeBitCast(SIG_IGN, to: Int.self)
}

/// Sets `number` back to its default disposition. (A free function, for the same reason.)
private func resetToDefault(_ number: Int32) {
    _ = signal(number, SIG_DFL)
}
