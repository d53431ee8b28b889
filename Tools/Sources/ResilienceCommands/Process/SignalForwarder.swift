import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns `SIGINT`, `SIGTERM` and `SIGHUP` sent to `resilience` into ``Interruption/interrupt(by:)``.
///
/// Each signal is set to be ignored (so that its default action does not end `resilience` before the
/// attempt it forwards to) and watched with a `DispatchSourceSignal`, whose handler runs on a
/// dispatch queue rather than in a signal handler, where almost nothing is safe to do. Commands get
/// the default dispositions back (``ProcessSignals``).
///
/// A signal that was already ignored when `resilience` started (`nohup`'s `SIGHUP`, a shell
/// background job's `SIGINT`) is left ignored and not watched: `resilience` and its commands stay
/// immune to it, as they would be without `resilience`.
package final class SignalForwarder {
    /// The signals forwarded.
    package static let forwardedSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    private var sources: [any DispatchSourceSignal] = []

    /// Starts forwarding the ``forwardedSignals`` to `interruption`.
    ///
    /// Keep the forwarder alive for as long as signals should be forwarded.
    ///
    /// - Parameter interruption: Where the signals go.
    package init(to interruption: Interruption) {
        let queue = DispatchQueue(label: "resilience.signals")
        for signal in Self.forwardedSignals {
            let ignoredAtStart = ProcessSignals.ignore(signal)
            if ignoredAtStart { continue }
            let source = DispatchSource.makeSignalSource(signal: signal, queue: queue)
            source.setEventHandler { interruption.interrupt(by: signal) }
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }
}
