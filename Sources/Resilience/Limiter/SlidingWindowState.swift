/// A sliding-window rate limit with reservations, on a timeline of nanoseconds since the limiter's
/// origin.
///
/// Time is cut into segments of `window / segments` (truncated to whole nanoseconds); the window is the
/// current segment and the `segments - 1` before it. A permit taken in a segment counts in every window
/// holding that segment, so it comes back when the segment leaves the window, `segments` segments
/// later. A call takes a permit now if the window has room; otherwise it may reserve one in the
/// earliest future segment where every window holding that segment stays within the limit (counting the
/// reservations already made), which keeps the limit exact for reservations too. A reservation given
/// back frees its place for the next call that asks.
///
/// Every method is a pure function of the state, the time and the arguments.
@usableFromInline
struct SlidingWindowState: Sendable {
    /// The most permits in a window; at least 1.
    @usableFromInline
    let limit: Int
    /// The segments in a window; at least 1.
    @usableFromInline
    let segments: Int
    /// A segment's length in nanoseconds; at least 1.
    @usableFromInline
    let segmentLength: Int64
    /// The permits taken in each segment of the window: segment `s` at `s % segments`.
    @usableFromInline
    private(set) var counts: [Int]
    /// The sum of ``counts``.
    @usableFromInline
    private(set) var inWindow = 0
    /// The current segment (segment `k` starts `k × segmentLength` after the origin).
    @usableFromInline
    private(set) var currentSegment: Int64 = 0
    /// ``currentSegment``'s index in ``counts``.
    @usableFromInline
    private(set) var currentIndex = 0
    /// The reservations in the segments after ``currentSegment``.
    @usableFromInline
    private(set) var reservations = ReservationSlots()

    /// An empty window.
    ///
    /// - Parameters:
    ///   - limit: The most permits in a window; values below 1 act as 1.
    ///   - window: The window's length; values below `segments` nanoseconds act as that.
    ///   - segments: The steps the window moves in; values below 1 act as 1, above 1,000 as 1,000.
    @usableFromInline
    init(limit: Int, window: Duration, segments: Int) {
        self.limit = max(limit, 1)
        self.segments = min(max(segments, 1), RateLimiterConfiguration.Algorithm.maxSegments)
        self.segmentLength = max(window.saturatingNanoseconds / Int64(self.segments), 1)
        self.counts = [Int](repeating: 0, count: self.segments)
    }

    /// Takes a permit at `now`, or reserves the earliest one within `maxWait`.
    ///
    /// - Parameters:
    ///   - now: Nanoseconds since the origin.
    ///   - maxWait: The longest wait allowed, in nanoseconds.
    /// - Returns: Granted, reserved (until when), or rejected (with the wait it would have had).
    @inlinable
    mutating func acquire(at now: Int64, maxWait: Int64) -> RateDecision {
        let segment = now / segmentLength
        if segment > currentSegment { advance(to: segment) }
        if inWindow < limit, reservations.isEmpty {
            counts[currentIndex] &+= 1
            inWindow &+= 1
            return .granted
        }
        return acquireSlowly(at: now, maxWait: maxWait)
    }

    /// Moves the window on to segment `target`: the segments leaving it give their permits back, and
    /// those entering it bring their reservations.
    @usableFromInline
    mutating func advance(to target: Int64) {
        while currentSegment < target {
            if reservations.isEmpty, inWindow == 0 || target - currentSegment >= Int64(segments) {
                // Nothing left to carry over: jump.
                if inWindow != 0 {
                    for index in counts.indices { counts[index] = 0 }
                    inWindow = 0
                }
                currentSegment = target
                currentIndex = Int(target % Int64(segments))
                return
            }
            currentSegment += 1
            currentIndex = currentIndex + 1 == segments ? 0 : currentIndex + 1
            inWindow -= counts[currentIndex]
            let incoming = reservations.removeFirst()
            counts[currentIndex] = incoming
            inWindow += incoming
        }
    }

    /// ``acquire(at:maxWait:)`` when the window is full or calls hold reservations.
    @usableFromInline
    mutating func acquireSlowly(at now: Int64, maxWait: Int64) -> RateDecision {
        let offset = earliestSegmentWithRoom()
        if offset == 0 {
            counts[currentIndex] += 1
            inWindow += 1
            return .granted
        }
        let segment = currentSegment.addingSaturated(Int64(offset))
        let (time, overflow) = segment.multipliedReportingOverflow(by: segmentLength)
        let wait = overflow ? Int64.max : time - now
        guard wait <= maxWait else { return .rejected(retryAfter: wait) }
        reservations.add(at: offset - 1)
        return .reserved(RateReservation(slot: segment, time: time))
    }

    /// The first segment, as an offset from the current one, in which one more permit keeps every
    /// window holding it within the limit.
    func earliestSegmentWithRoom() -> Int {
        if reservations.isEmpty {
            // Only the current window's segments count: wait for enough of the oldest to leave it.
            var remaining = inWindow
            var offset = 0
            while remaining >= limit, offset < segments {
                offset += 1
                remaining -= counts[index(ofPast: segments - offset)]
            }
            return offset
        }
        let sums = windowSums()
        var candidate = 0
        for end in sums.indices {
            if end >= candidate + segments { break }  // every window holding the candidate has room
            if sums[end] >= limit { candidate = end + 1 }
        }
        return candidate
    }

    /// The permits in the window ending at each segment from the current one to the last that holds a
    /// reservation or a permit: element `j` is the window ending `j` segments from now.
    func windowSums() -> [Int] {
        let ahead = reservations.count
        // The permits per segment, from the oldest in the window to the last reservation.
        var perSegment = [Int](repeating: 0, count: segments + ahead)
        for back in 0..<segments {
            perSegment[segments - 1 - back] = counts[index(ofPast: back)]
        }
        for offset in 0..<ahead {
            perSegment[segments + offset] = reservations.reservations(at: offset)
        }
        var sums = [Int](repeating: 0, count: ahead + segments)
        var running = inWindow
        for end in sums.indices {
            if end > 0 {
                running -= perSegment[end - 1]
                running += end + segments - 1 < perSegment.count ? perSegment[end + segments - 1] : 0
            }
            sums[end] = running
        }
        return sums
    }

    /// The index in ``counts`` of the segment `back` segments before the current one (`back < segments`).
    private func index(ofPast back: Int) -> Int {
        let index = currentIndex - back
        return index < 0 ? index + segments : index
    }

    /// Gives back a reservation: its place is free for the next call that asks, or, when its segment
    /// has already come, its permit no longer counts.
    ///
    /// - Parameters:
    ///   - reservation: What ``acquire(at:maxWait:)`` reserved.
    ///   - now: Nanoseconds since the origin.
    mutating func giveBack(_ reservation: RateReservation, at now: Int64) {
        let segment = now / segmentLength
        if segment > currentSegment { advance(to: segment) }
        if reservation.slot > currentSegment {
            reservations.remove(at: Int(clamping: reservation.slot - currentSegment - 1))
        } else if currentSegment - reservation.slot < Int64(segments) {
            let index = index(ofPast: Int(currentSegment - reservation.slot))
            guard counts[index] > 0 else { return }
            counts[index] -= 1
            inWindow -= 1
        }
    }

    /// Whether the window, at `now`, is as a new one: no permit in it, no reservation.
    ///
    /// - Parameter now: Nanoseconds since the origin.
    mutating func isIdle(at now: Int64) -> Bool {
        let segment = now / segmentLength
        if segment > currentSegment { advance(to: segment) }
        return inWindow == 0 && reservations.isEmpty
    }

    /// The permits a call could take now, and the reservations, at `now`.
    ///
    /// - Parameter now: Nanoseconds since the origin.
    /// - Returns: The permits free now, and the calls waiting for a reserved one.
    mutating func permits(at now: Int64) -> (available: Int, reserved: Int) {
        let segment = now / segmentLength
        if segment > currentSegment { advance(to: segment) }
        guard !reservations.isEmpty else { return (max(limit - inWindow, 0), 0) }
        let fullest = windowSums().prefix(segments).max() ?? inWindow
        return (max(limit - fullest, 0), reservations.total)
    }
}
