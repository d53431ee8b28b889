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
    struct Bucket: Hashable, Sendable, Codable {
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
    /// Time-based: the number of the newest bucket (time since the window's origin / bucket length).
    private var currentBucket: Int64 = 0

    /// Creates an empty window sized for `layout`.
    @usableFromInline
    init(layout: SlidingWindow) {
        self.layout = layout
        switch layout.kind {
        case .count(let size):
            outcomes = Array(repeating: 0, count: max(size, 1))
            buckets = []
        case .time(_, let buckets):
            outcomes = []
            self.buckets = Array(repeating: Bucket(), count: max(buckets, 1))
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
            let slot = Int(currentBucket % Int64(buckets.count))
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
            record(
                failure: failure, slow: slow, elapsed: .nanoseconds(currentBucket.saturatingMultiply(layout.bucketNanoseconds)),
                layout: layout)
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

    /// The bucket that the time `elapsed` since the origin falls in; never negative.
    private func bucketNumber(at elapsed: Duration) -> Int64 {
        max(elapsed.saturatingNanoseconds, 0) / layout.bucketNanoseconds
    }

    /// Moves the newest bucket to `bucket`, clearing the slots of the buckets that expire.
    private mutating func advance(to bucket: Int64) {
        guard bucket > currentBucket else { return }
        let steps = min(bucket - currentBucket, Int64(buckets.count))
        for step in 1...steps {
            let slot = Int((currentBucket + step) % Int64(buckets.count))
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
        let steps = min(bucket - currentBucket, Int64(buckets.count))
        for step in 1...steps {
            let expired = buckets[Int((currentBucket + step) % Int64(buckets.count))]
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

extension OutcomeWindow: Codable {
    private enum CodingKeys: String, CodingKey {
        case layout, calls, failures, slowCalls, outcomes, nextIndex, buckets, currentBucket
    }

    /// Decodes a window and checks that its storage fits its layout and its totals its storage, so a
    /// damaged saved state is an error rather than a crash later.
    @usableFromInline
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        layout = try container.decode(SlidingWindow.self, forKey: .layout)
        totals = Counts(
            calls: try container.decode(Int.self, forKey: .calls),
            failures: try container.decode(Int.self, forKey: .failures),
            slowCalls: try container.decode(Int.self, forKey: .slowCalls)
        )
        outcomes = try container.decode([UInt8].self, forKey: .outcomes)
        nextIndex = try container.decode(Int.self, forKey: .nextIndex)
        buckets = try container.decode([Bucket].self, forKey: .buckets)
        currentBucket = try container.decode(Int64.self, forKey: .currentBucket)
        guard isConsistent else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "inconsistent sliding window counts")
            )
        }
    }

    /// Encodes the layout, totals and storage.
    @usableFromInline
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(layout, forKey: .layout)
        try container.encode(totals.calls, forKey: .calls)
        try container.encode(totals.failures, forKey: .failures)
        try container.encode(totals.slowCalls, forKey: .slowCalls)
        try container.encode(outcomes, forKey: .outcomes)
        try container.encode(nextIndex, forKey: .nextIndex)
        try container.encode(buckets, forKey: .buckets)
        try container.encode(currentBucket, forKey: .currentBucket)
    }

    /// Whether the storage matches the layout and the totals match the storage.
    private var isConsistent: Bool {
        switch layout.kind {
        case .count(let size):
            guard outcomes.count == max(size, 1), buckets.isEmpty, outcomes.indices.contains(nextIndex) else { return false }
            guard outcomes.allSatisfy({ $0 & ~(Self.failureBit | Self.slowBit) == 0 }) else { return false }
            let filled = totals.calls == outcomes.count ? outcomes[...] : outcomes[..<min(max(totals.calls, 0), outcomes.count)]
            return totals.calls >= 0 && totals.calls <= outcomes.count && totals.calls == filled.count
                && (totals.calls == outcomes.count || nextIndex == totals.calls)
                && totals.failures == filled.count(where: { $0 & Self.failureBit != 0 })
                && totals.slowCalls == filled.count(where: { $0 & Self.slowBit != 0 })
        case .time(_, let count):
            guard buckets.count == max(count, 1), outcomes.isEmpty, currentBucket >= 0 else { return false }
            let sums = buckets.reduce(into: Bucket()) { sum, bucket in
                sum.calls += bucket.calls
                sum.failures += bucket.failures
                sum.slowCalls += bucket.slowCalls
            }
            return buckets.allSatisfy { $0.calls >= 0 && $0.failures >= 0 && $0.slowCalls >= 0 }
                && sums == Bucket(calls: totals.calls, failures: totals.failures, slowCalls: totals.slowCalls)
        }
    }
}
