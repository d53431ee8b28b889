/// A rate limiter's logic as a value: its algorithm's state, the longest wait allowed, and counts, on a
/// timeline of nanoseconds since the limiter's origin.
///
/// Exactly one of ``bucket`` and ``window`` is set. They are separate stored properties (rather than
/// an enum's payloads) so that every update mutates them in place, without copying a window's
/// counters under the lock.
@usableFromInline
struct RateLimiterState: Sendable {
    /// The token bucket, for a token-bucket limiter.
    @usableFromInline
    private(set) var bucket: TokenBucketState?
    /// The sliding window, for a sliding-window limiter.
    @usableFromInline
    private(set) var window: SlidingWindowState?
    /// The longest wait for a reserved permit, in nanoseconds.
    @usableFromInline
    let maxWait: Int64
    /// Calls given a permit so far, at once or by a reservation not given back.
    @usableFromInline
    private(set) var admittedCalls: Int64 = 0
    /// Calls refused so far.
    @usableFromInline
    private(set) var rejectedCalls: Int64 = 0

    /// A state with every permit free.
    ///
    /// - Parameter configuration: The algorithm and wait; out-of-range values act as the nearest valid one.
    @usableFromInline
    init(configuration: RateLimiterConfiguration) {
        let configuration = configuration.normalized
        maxWait = configuration.maxWait.saturatingNanoseconds
        switch configuration.algorithm.storage {
        case .tokenBucket(let capacity, let tokensPerPeriod, let period):
            bucket = TokenBucketState(capacity: capacity, tokensPerPeriod: tokensPerPeriod, period: period)
        case .slidingWindow(let limit, let window, let segments):
            self.window = SlidingWindowState(limit: limit, window: window, segments: segments)
        }
    }

    /// Takes a permit at `now`, reserves the earliest one within the maximum wait, or refuses the call.
    ///
    /// - Parameter now: Nanoseconds since the origin; negative values act as zero.
    /// - Returns: What the call does.
    @inlinable
    mutating func acquire(at now: Int64) -> RateDecision {
        let now = max(now, 0)
        let decision: RateDecision
        if let fromBucket = bucket?.acquire(at: now, maxWait: maxWait) {
            decision = fromBucket
        } else if let fromWindow = window?.acquire(at: now, maxWait: maxWait) {
            decision = fromWindow
        } else {
            decision = .granted  // unreachable: one of the two is set
        }
        if case .rejected = decision {
            rejectedCalls &+= 1
        } else {
            admittedCalls &+= 1  // cannot wrap: 2^63 calls
        }
        return decision
    }

    /// Gives back a reservation whose caller was cancelled.
    ///
    /// - Parameters:
    ///   - reservation: What ``acquire(at:)`` reserved.
    ///   - now: Nanoseconds since the origin.
    @usableFromInline
    mutating func giveBack(_ reservation: RateReservation, at now: Int64) {
        let now = max(now, 0)
        bucket?.giveBack(reservation, at: now)
        window?.giveBack(reservation, at: now)
        admittedCalls &-= 1
    }

    /// Whether the state, at `now`, is as a new one's (counts aside): a full bucket or an empty window,
    /// and no reservation. Such a state can be dropped and made again without changing any decision.
    ///
    /// - Parameter now: Nanoseconds since the origin.
    @usableFromInline
    mutating func isIdle(at now: Int64) -> Bool {
        let now = max(now, 0)
        return bucket?.isIdle(at: now) ?? window?.isIdle(at: now) ?? true
    }

    /// The permits and counts at `now`.
    ///
    /// - Parameter now: Nanoseconds since the origin.
    mutating func snapshot(at now: Int64) -> RateLimiterSnapshot {
        let now = max(now, 0)
        let permits = bucket?.permits(at: now) ?? window?.permits(at: now) ?? (available: 0, reserved: 0)
        return RateLimiterSnapshot(
            availablePermits: permits.available,
            waitingCalls: permits.reserved,
            admittedCalls: admittedCalls,
            rejectedCalls: rejectedCalls
        )
    }
}
