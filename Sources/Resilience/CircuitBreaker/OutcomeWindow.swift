/// The counters behind a ``SlidingWindow``: how many of the recent calls failed and how many were slow.
///
/// Storage is sized once, from the layout, and reused: recording a call never allocates. A count-based
/// window keeps one byte per call in a ring; a time-based one keeps one ``Bucket`` per slot, each
/// holding the counts of one stretch of `duration / buckets`, and clears the slots whose stretch has
/// passed as the clock advances. Running totals make every read O(1), except ``counts(at:)`` ahead of
/// the last recorded bucket, which is O(buckets).
@usableFromInline
struct OutcomeWindow: Hashable, Sendable {
    /// The counts of one bucket of a time-based window.
    @usableFromInline
    struct Bucket: Hashable, Sendable {
        var calls = 0
        var failures = 0
        var slowCalls = 0
    }

    /// Totals over the calls in a window.
    @usableFromInline
    struct Counts: Hashable, Sendable {
        @usableFromInline var calls: Int
        @usableFromInline var failures: Int
        @usableFromInline var slowCalls: Int

        @usableFromInline
        init(calls: Int, failures: Int, slowCalls: Int) {
            self.calls = calls
            self.failures = failures
            self.slowCalls = slowCalls
        }
    }

    /// Bits of one call in a count-based window.
    private static let failureBit: UInt8 = 1
    private static let slowBit: UInt8 = 2

    /// The layout this storage was sized for.
    @usableFromInline
    private(set) var layout: SlidingWindow
    /// The totals over the calls in the window (as of ``currentBucket`` for a time-based window).
    @usableFromInline
    private(set) var totals = Counts(calls: 0, failures: 0, slowCalls: 0)
    /// Count-based: the outcome bits of each call in the ring.
    private var outcomes: [UInt8]
    /// Count-based: where the next call goes.
    private var nextIndex = 0
    /// Time-based: the buckets, indexed by bucket number modulo their count.
    private var buckets: [Bucket]
    /// Time-based: the number of the newest bucket: ⌊(time since the origin − ``base``) / bucket
    /// length⌋. Negative for a window restored from a record whose buckets started before the origin.
    private var currentBucket: Int64 = 0
    /// Time-based: where bucket 0 starts, in nanoseconds since the origin, from 0 to the bucket length
    /// (exclusive): 0, unless the window was restored from a record whose buckets are aligned
    /// otherwise. The same bucket boundaries always have the same base, so that any two windows
    /// holding the same calls compute the same bucket numbers, saturation at the extremes included.
    private var base: Int64 = 0

    /// Creates an empty window sized for `layout`.
    @usableFromInline
    init(layout: SlidingWindow) {
        self.layout = layout
        switch layout.kind {
        case .count:
            outcomes = Array(repeating: 0, count: layout.effectiveSize)
            buckets = []
        case .time:
            outcomes = []
            buckets = Array(repeating: Bucket(), count: layout.effectiveBuckets)
        }
    }

    /// Records one call. `elapsed` is the time since the window's origin (used by time-based windows only).
    ///
    /// When `layout` differs from the one the storage was sized for (a configuration changed under a
    /// saved state), the window starts again empty with the new layout.
    @usableFromInline
    mutating func record(failure: Bool, slow: Bool, elapsed: Duration, layout: SlidingWindow) {
        if layout != self.layout { self = OutcomeWindow(layout: layout) }
        if buckets.isEmpty {
            recordCounted(failure: failure, slow: slow)
        } else {
            advance(to: bucketNumber(at: elapsed))
            let slot = slot(of: currentBucket)
            // A full bucket counts no more calls, so that no count outgrows what a record holds.
            guard buckets[slot].calls < CircuitBreakerRecord.maximumBucketCalls else { return }
            buckets[slot].calls += 1
            if failure { buckets[slot].failures += 1 }
            if slow { buckets[slot].slowCalls += 1 }
            totals.calls += 1
            if failure { totals.failures += 1 }
            if slow { totals.slowCalls += 1 }
        }
    }

    /// Records one call in a count-based window, which needs no time (the per-call hot path).
    ///
    /// A time-based `layout` is recorded at the window's newest bucket.
    @usableFromInline
    mutating func recordUntimed(failure: Bool, slow: Bool, layout: SlidingWindow) {
        if layout != self.layout { self = OutcomeWindow(layout: layout) }
        guard buckets.isEmpty else {
            record(failure: failure, slow: slow, elapsed: .nanoseconds(newestBucketStart), layout: layout)
            return
        }
        recordCounted(failure: failure, slow: slow)
    }

    private mutating func recordCounted(failure: Bool, slow: Bool) {
        let bits = (failure ? Self.failureBit : 0) | (slow ? Self.slowBit : 0)
        if totals.calls == outcomes.count {
            let old = outcomes[nextIndex]
            if old & Self.failureBit != 0 { totals.failures -= 1 }
            if old & Self.slowBit != 0 { totals.slowCalls -= 1 }
        } else {
            totals.calls += 1
        }
        outcomes[nextIndex] = bits
        if failure { totals.failures += 1 }
        if slow { totals.slowCalls += 1 }
        nextIndex += 1
        if nextIndex == outcomes.count { nextIndex = 0 }
    }

    /// Expires the calls that have left a time-based window by `elapsed`; nothing for a count-based one.
    @usableFromInline
    mutating func expire(elapsed: Duration) {
        guard !buckets.isEmpty else { return }
        advance(to: bucketNumber(at: elapsed))
    }

    /// The bucket that the time `elapsed` since the origin falls in (times before the newest bucket
    /// are recorded in it).
    private func bucketNumber(at elapsed: Duration) -> Int64 {
        // `base` is from 0 to the bucket length: only a time near Int64.min nanoseconds overflows.
        let (offset, overflow) = elapsed.saturatingNanoseconds.subtractingReportingOverflow(base)
        return Self.floorDivision(overflow ? .min : offset, layout.bucketNanoseconds)
    }

    /// ⌊`dividend` / `divisor`⌋ for a positive `divisor`.
    private static func floorDivision(_ dividend: Int64, _ divisor: Int64) -> Int64 {
        let quotient = dividend / divisor
        return dividend % divisor < 0 ? quotient - 1 : quotient
    }

    /// Time-based: when the newest bucket starts, in nanoseconds since the origin. Exact: the bucket
    /// numbers come from times that are.
    private var newestBucketStart: Int64 {
        let (product, productOverflow) = currentBucket.multipliedReportingOverflow(by: layout.bucketNanoseconds)
        let (start, overflow) = base.addingReportingOverflow(product)
        return productOverflow || overflow ? (currentBucket < 0 ? .min : .max) : start
    }

    /// How many buckets expire when the newest moves to the later `bucket`: at most all of them.
    private func steps(to bucket: Int64) -> Int64 {
        let (distance, overflow) = bucket.subtractingReportingOverflow(currentBucket)
        return overflow ? Int64(buckets.count) : min(distance, Int64(buckets.count))
    }

    /// The slot of bucket number `bucket`, which may be negative.
    private func slot(of bucket: Int64) -> Int {
        let remainder = Int(bucket % Int64(buckets.count))
        return remainder < 0 ? remainder + buckets.count : remainder
    }

    /// Moves the newest bucket to `bucket`, clearing the slots of the buckets that expire.
    private mutating func advance(to bucket: Int64) {
        guard bucket > currentBucket else { return }
        for step in 1...steps(to: bucket) {
            let slot = slot(of: currentBucket + step)
            totals.calls -= buckets[slot].calls
            totals.failures -= buckets[slot].failures
            totals.slowCalls -= buckets[slot].slowCalls
            buckets[slot] = Bucket()
        }
        currentBucket = bucket
    }

    /// The totals as of `elapsed` since the origin, without changing the window: calls whose bucket
    /// has expired by then are left out.
    @usableFromInline
    func counts(at elapsed: Duration) -> Counts {
        guard !buckets.isEmpty else { return totals }
        let bucket = bucketNumber(at: elapsed)
        guard bucket > currentBucket else { return totals }
        var counts = totals
        for step in 1...steps(to: bucket) {
            let expired = buckets[slot(of: currentBucket + step)]
            counts.calls -= expired.calls
            counts.failures -= expired.failures
            counts.slowCalls -= expired.slowCalls
        }
        return counts
    }

    /// Forgets every call, keeping the storage.
    @usableFromInline
    mutating func removeAll() {
        totals = Counts(calls: 0, failures: 0, slowCalls: 0)
        for index in outcomes.indices { outcomes[index] = 0 }
        for index in buckets.indices { buckets[index] = Bucket() }
        nextIndex = 0
    }
}

// MARK: - Records

extension OutcomeWindow {
    /// The window as a record's window, its times in nanoseconds since the Unix epoch given the wall-clock
    /// reading of the origin.
    func exported(originUnixNanoseconds origin: Int64) -> CircuitBreakerRecord.Window {
        if buckets.isEmpty {
            let size = outcomes.count
            let held = min(max(totals.calls, 0), size)
            let first = held == size ? nextIndex : 0
            var characters: [UInt8] = []
            characters.reserveCapacity(held)
            for offset in 0..<held {
                characters.append(CircuitBreakerRecord.Window.characters[Int(outcomes[(first + offset) % size] & 3)])
            }
            return .count(size: size, outcomes: String(decoding: characters, as: UTF8.self))
        }
        // Oldest first: the buckets numbered currentBucket − (count − 1) through currentBucket, without
        // the empty ones before the first that holds calls.
        var listed: [CircuitBreakerRecord.Window.Bucket] = []
        var seenCalls = false
        for age in stride(from: Int64(buckets.count - 1), through: 0, by: -1) {
            let bucket = buckets[slot(of: currentBucket - age)]
            seenCalls = seenCalls || bucket != Bucket()
            guard seenCalls else { continue }
            listed.append(.init(calls: bucket.calls, failures: bucket.failures, slowCalls: bucket.slowCalls))
        }
        let (start, overflow) = origin.addingReportingOverflow(newestBucketStart)
        return .time(
            bucketNanoseconds: layout.bucketNanoseconds,
            bucketCount: buckets.count,
            newestBucketStart: overflow ? (origin > 0 ? .max : .min) : start,
            buckets: listed
        )
    }

    /// The window a record's (valid) window describes, sized for `layout`; an empty one when the
    /// record's layout differs from `layout`.
    init(restoring window: CircuitBreakerRecord.Window, layout: SlidingWindow, originUnixNanoseconds origin: Int64) {
        self.init(layout: layout)
        switch window.storage {
        case .count(let size, let characters):
            guard layout.size != nil, size == outcomes.count else { return }
            var held = 0
            for character in characters.utf8 {
                guard held < outcomes.count, let bits = CircuitBreakerRecord.Window.bits(of: character) else { break }
                outcomes[held] = bits
                totals.calls += 1
                if bits & Self.failureBit != 0 { totals.failures += 1 }
                if bits & Self.slowBit != 0 { totals.slowCalls += 1 }
                held += 1
            }
            nextIndex = held == outcomes.count ? 0 : held
        case .time(let length, let count, let start, let listed):
            guard layout.isTimeBased, count == buckets.count, length == layout.bucketNanoseconds, listed.count <= count else { return }
            // Where the newest bucket starts on this timeline; bucket boundaries stay where they were.
            let (offset, overflow) = start.subtractingReportingOverflow(origin)
            let relative = overflow ? (start > origin ? Int64.max : Int64.min) : offset
            currentBucket = Self.floorDivision(relative, length)
            let remainder = relative % length
            base = remainder < 0 ? remainder + length : remainder
            for (age, bucket) in listed.reversed().enumerated() {
                let restored = Bucket(calls: bucket.calls, failures: bucket.failures, slowCalls: bucket.slowCalls)
                buckets[slot(of: currentBucket - Int64(age))] = restored
                totals.calls += restored.calls
                totals.failures += restored.failures
                totals.slowCalls += restored.slowCalls
            }
        }
    }
}
