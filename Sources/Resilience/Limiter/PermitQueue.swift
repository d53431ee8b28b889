/// The continuation a queued call parks while it waits for a concurrency permit.
@usableFromInline
typealias PermitContinuation = UnsafeContinuation<PermitResolution, Never>

/// Where the queued calls of a concurrency limiter park: a ``ConcurrencyLimiter``'s state, or one
/// partition's in a ``PartitionedConcurrencyLimiter``. Both share the waiting below.
protocol PermitQueue: Sendable {
    /// What names a queued call: its id, and for a partition its key.
    associatedtype Ticket: Sendable

    /// Parks `continuation` for the call queued as `ticket`.
    ///
    /// - Returns: `nil` when it now waits; otherwise how its wait already ended.
    func park(_ continuation: PermitContinuation, for ticket: Ticket) -> PermitResolution?

    /// Takes the call queued as `ticket` out of the queue, if it is still there.
    ///
    /// - Returns: Its continuation, to resume with `resolution`, if it was parked.
    func remove(_ ticket: Ticket, resolution: PermitResolution) -> PermitContinuation?
}

extension PermitQueue {
    /// Waits for the call queued as `ticket` to be handed a permit, for at most `maxWait` on `clock`
    /// (`nil`: for as long as it takes), or until the caller is cancelled.
    ///
    /// With a maximum wait, a child task sleeps on the clock until the deadline and then takes the call
    /// out of the queue; it is cancelled (and awaited) as soon as the wait ends, so nothing is left
    /// running. Whichever of the grant, the deadline and the cancellation reaches the queue first
    /// decides the outcome; the others find the call gone and do nothing.
    ///
    /// - Returns: How the wait ended; with ``PermitResolution/granted`` the call holds a permit.
    nonisolated(nonsending) func waitForPermit<ClockType: Clock>(
        _ ticket: Ticket,
        maxWait: Duration?,
        clock: ClockType
    ) async -> PermitResolution where ClockType.Duration == Duration {
        guard let maxWait else { return await suspend(ticket) }
        let deadline = clock.now.advanced(by: maxWait)
        return await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await clock.sleep(until: deadline, tolerance: nil)
                } catch {
                    return  // the wait ended first (or the caller was cancelled)
                }
                remove(ticket, resolution: .timedOut)?.resume(returning: .timedOut)
            }
            let resolution = await suspend(ticket)
            group.cancelAll()
            return resolution
        }
    }

    /// Parks the call until a permit, the deadline or a cancellation ends its wait.
    private nonisolated(nonsending) func suspend(_ ticket: Ticket) async -> PermitResolution {
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: PermitContinuation) in
                if let resolution = park(continuation, for: ticket) { continuation.resume(returning: resolution) }
            }
        } onCancel: {
            remove(ticket, resolution: .cancelled)?.resume(returning: .cancelled)
        }
    }
}
