/// A token bucket with reservations, on a timeline of nanoseconds since the limiter's origin.
///
/// The bucket starts full. At every period boundary (`k × period` after the origin) it gains
/// `tokensPerPeriod` tokens, up to `capacity`; the refill is computed when the bucket is next used,
/// never by a timer. A call takes a token if one is free. Otherwise it may reserve one: the periods
/// ahead each have `min(capacity, tokensPerPeriod)` tokens to give (the bucket is empty whenever a call
/// must reserve, so that is what a boundary brings), and the call takes a place in the earliest period
/// with a place left. A reservation given back frees its place for the next call that asks. A
/// boundary serves its reservations first, and what is left stays in the bucket.
///
/// Every method is a pure function of the state, the time and the arguments.
@usableFromInline
struct TokenBucketState: Sendable {
    /// The most tokens the bucket holds; at least 1.
    @usableFromInline
    let capacity: Int
    /// The tokens each boundary adds; at least 1.
    @usableFromInline
    let tokensPerPeriod: Int
    /// The time between boundaries, in nanoseconds; at least 1.
    @usableFromInline
    let period: Int64
    /// The free tokens, as of the end of ``currentPeriod``'s boundary.
    @usableFromInline
    private(set) var tokens: Int
    /// The last period whose boundary has been applied (period `k` starts `k × period` after the origin).
    @usableFromInline
    private(set) var currentPeriod: Int64 = 0
    /// The reservations in the periods after ``currentPeriod``.
    @usableFromInline
    private(set) var reservations = ReservationSlots()

    /// A full bucket.
    ///
    /// - Parameters:
    ///   - capacity: The most tokens; values below 1 act as 1.
    ///   - tokensPerPeriod: The tokens each boundary adds; values below 1 act as 1.
    ///   - period: The time between boundaries; values below 1 ns act as 1 ns.
    @usableFromInline
    init(capacity: Int, tokensPerPeriod: Int, period: Duration) {
        self.capacity = max(capacity, 1)
        self.tokensPerPeriod = max(tokensPerPeriod, 1)
        self.period = max(period.saturatingNanoseconds, 1)
        self.tokens = self.capacity
    }

    /// The tokens a boundary brings while calls hold reservations.
    var perPeriodWhileReserved: Int { min(capacity, tokensPerPeriod) }

    /// Takes a token at `now`, or reserves the earliest one within `maxWait`.
    ///
    /// - Parameters:
    ///   - now: Nanoseconds since the origin.
    ///   - maxWait: The longest wait allowed, in nanoseconds.
    /// - Returns: Granted, reserved (until when), or rejected (with the wait it would have had).
    @inlinable
    mutating func acquire(at now: Int64, maxWait: Int64) -> RateDecision {
        let period = now / self.period
        if period > currentPeriod { refill(to: period) }
        if tokens > 0 {
            tokens &-= 1
            return .granted
        }
        return reserve(at: now, maxWait: maxWait)
    }

    /// Applies every boundary up to `target`'s.
    @usableFromInline
    mutating func refill(to target: Int64) {
        // Boundaries with reservations serve them one by one (there are at most as many as waiting calls).
        while currentPeriod < target, !reservations.isEmpty {
            currentPeriod += 1
            let reserved = reservations.removeFirst()
            tokens = max(min(capacity, tokens.addingSaturated(tokensPerPeriod)) - reserved, 0)
        }
        guard currentPeriod < target else { return }
        // The rest at once.
        let (added, overflow) = Int64(tokensPerPeriod).multipliedReportingOverflow(by: target - currentPeriod)
        let refilled = overflow ? Int64.max : Int64(tokens).addingSaturated(added)
        tokens = Int(min(Int64(capacity), refilled))
        currentPeriod = target
    }

    /// ``acquire(at:maxWait:)`` with the bucket empty.
    @usableFromInline
    mutating func reserve(at now: Int64, maxWait: Int64) -> RateDecision {
        let offset = reservations.firstSlot(withRoomFor: perPeriodWhileReserved)
        let slot = currentPeriod.addingSaturated(1).addingSaturated(Int64(offset))
        let (time, overflow) = slot.multipliedReportingOverflow(by: period)
        let wait = overflow ? Int64.max : time - now
        guard wait <= maxWait else { return .rejected(retryAfter: wait) }
        reservations.add(at: offset)
        return .reserved(RateReservation(slot: slot, time: time))
    }

    /// Gives back a reservation: its place is free for the next call that asks, or, when its period
    /// has already come, its token goes back into the bucket.
    ///
    /// - Parameters:
    ///   - reservation: What ``acquire(at:maxWait:)`` reserved.
    ///   - now: Nanoseconds since the origin.
    mutating func giveBack(_ reservation: RateReservation, at now: Int64) {
        let period = now / self.period
        if period > currentPeriod { refill(to: period) }
        if reservation.slot > currentPeriod {
            reservations.remove(at: Int(clamping: reservation.slot - currentPeriod - 1))
        } else {
            tokens = min(tokens.addingSaturated(1), capacity)
        }
    }

    /// Whether the bucket, at `now`, is as a new one: full, with no reservation.
    ///
    /// - Parameter now: Nanoseconds since the origin.
    mutating func isIdle(at now: Int64) -> Bool {
        let period = now / self.period
        if period > currentPeriod { refill(to: period) }
        return tokens == capacity && reservations.isEmpty
    }

    /// The free tokens and the reservations at `now`.
    ///
    /// - Parameter now: Nanoseconds since the origin.
    /// - Returns: The free tokens, and the calls waiting for a reserved one.
    mutating func permits(at now: Int64) -> (available: Int, reserved: Int) {
        let period = now / self.period
        if period > currentPeriod { refill(to: period) }
        return (tokens, reservations.total)
    }
}

/// A permit reserved for a future slot: the slot (a token-bucket period or a sliding-window segment)
/// and when it starts, in nanoseconds since the limiter's origin.
@usableFromInline
struct RateReservation: Hashable, Sendable {
    @usableFromInline
    let slot: Int64
    @usableFromInline
    let time: Int64

    @usableFromInline
    init(slot: Int64, time: Int64) {
        self.slot = slot
        self.time = time
    }
}

/// What a rate limiter's state decided for a call.
@usableFromInline
enum RateDecision: Hashable, Sendable {
    /// The call takes a permit now.
    case granted
    /// The call waits until the reservation's time, then has its permit.
    case reserved(RateReservation)
    /// The call is refused; a permit is free in `retryAfter` nanoseconds.
    case rejected(retryAfter: Int64)

    /// Whether the call takes a permit now.
    @inlinable
    var isGranted: Bool {
        if case .granted = self { return true }
        return false
    }
}

extension Int {
    /// `self + other`, saturated to the `Int` range.
    func addingSaturated(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}

extension Int64 {
    /// `self + other`, saturated to the `Int64` range.
    func addingSaturated(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}
