/// Which recent calls a circuit breaker's rate rules look at: the last N calls, or the calls of the
/// last stretch of time.
///
/// ```swift
/// SlidingWindow.count(100)                            // the last 100 calls
/// SlidingWindow.time(.seconds(60), buckets: 12)       // the last minute, in 5-second buckets
/// ```
///
/// A time-based window keeps one counter per bucket: a call leaves the window when its bucket
/// expires, between `duration − duration / buckets` and `duration` after it was recorded. Memory is
/// fixed when the breaker is created (one byte per call of a count-based window, one small counter per
/// bucket), so recording a call never allocates.
public struct SlidingWindow: Hashable, Sendable {
    @usableFromInline
    enum Kind: Hashable, Sendable {
        case count(Int)
        case time(Duration, buckets: Int)
    }

    @usableFromInline
    let kind: Kind

    @inlinable
    init(kind: Kind) {
        self.kind = kind
    }

    /// The largest count-based window: a million calls (a megabyte of state).
    public static let maximumSize = 1_000_000
    /// The most buckets of a time-based window.
    public static let maximumBuckets = 10_000

    /// A window of the last `size` calls.
    ///
    /// - Parameter size: How many calls, from 1 to ``maximumSize``.
    public static func count(_ size: Int) -> SlidingWindow {
        SlidingWindow(kind: .count(size))
    }

    /// A window of the calls recorded during the last `duration`, which expire bucket by bucket as
    /// the clock advances.
    ///
    /// - Parameters:
    ///   - duration: How far back the window reaches; positive.
    ///   - buckets: How many steps it expires in, from 1 to ``maximumBuckets``; more is finer.
    public static func time(_ duration: Duration, buckets: Int = 10) -> SlidingWindow {
        SlidingWindow(kind: .time(duration, buckets: buckets))
    }

    /// The number of calls of a count-based window; `nil` for a time-based one.
    public var size: Int? {
        guard case .count(let size) = kind else { return nil }
        return size
    }

    /// The duration of a time-based window; `nil` for a count-based one.
    public var duration: Duration? {
        guard case .time(let duration, _) = kind else { return nil }
        return duration
    }

    /// The number of buckets of a time-based window; `nil` for a count-based one.
    public var buckets: Int? {
        guard case .time(_, let buckets) = kind else { return nil }
        return buckets
    }

    /// Whether calls leave the window with time rather than with newer calls.
    @inlinable
    public var isTimeBased: Bool {
        if case .time = kind { return true }
        return false
    }

    /// Checks the parameters.
    ///
    /// - Throws: ``ConfigurationError`` naming `size`, `duration` or `buckets`.
    public func validate() throws(ConfigurationError) {
        switch kind {
        case .count(let size):
            guard (1...Self.maximumSize).contains(size) else {
                throw .invalid("size", "must be from 1 to \(Self.maximumSize), got \(size)")
            }
        case .time(let duration, let buckets):
            guard duration > .zero else {
                throw .invalid("duration", "must be positive, got \(duration)")
            }
            guard (1...Self.maximumBuckets).contains(buckets) else {
                throw .invalid("buckets", "must be from 1 to \(Self.maximumBuckets), got \(buckets)")
            }
            guard duration.saturatingNanoseconds >= Int64(buckets) else {
                throw .invalid("buckets", "must not exceed the duration in nanoseconds, got \(buckets)")
            }
        }
    }

    /// The length of one bucket of a time-based window in nanoseconds (at least 1); 1 for a count-based one.
    @usableFromInline
    var bucketNanoseconds: Int64 {
        guard case .time(let duration, _) = kind else { return 1 }
        return max(duration.saturatingNanoseconds / Int64(effectiveBuckets), 1)
    }

    /// The calls a count-based window holds: its size, as the nearest valid one (1 to
    /// ``maximumSize``) for an unchecked layout.
    var effectiveSize: Int {
        guard case .count(let size) = kind else { return 1 }
        return min(max(size, 1), Self.maximumSize)
    }

    /// The buckets of a time-based window, as the nearest valid number (1 to ``maximumBuckets``) for an
    /// unchecked layout.
    var effectiveBuckets: Int {
        guard case .time(_, let buckets) = kind else { return 1 }
        return min(max(buckets, 1), Self.maximumBuckets)
    }
}

extension SlidingWindow: CustomStringConvertible {
    /// A short description such as `last 100 calls` or `last 60.0 s in 10 buckets`.
    public var description: String {
        switch kind {
        case .count(let size): "last \(size) calls"
        case .time(let duration, let buckets): "last \(duration.inSeconds) s in \(buckets) buckets"
        }
    }
}
