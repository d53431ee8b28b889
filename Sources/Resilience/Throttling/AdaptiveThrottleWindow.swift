/// An adaptive throttle's logic, as a value: requests and accepts counted in buckets over a sliding
/// window, and the rejection probability they give.
///
/// Times are durations since the throttle's origin on its clock. A clock that goes back leaves the
/// window where it is. The counters are updated in place, so nothing is allocated under the lock.
struct AdaptiveThrottleWindow: Sendable {
    let multiplier: Double
    let maxRejectionProbability: Double
    /// The width of one bucket in nanoseconds; at least 1.
    let bucketWidth: Int64
    /// Requests and accepts per bucket; the newest bucket is at ``slot``.
    private(set) var requests: [Int]
    private(set) var accepts: [Int]
    /// The sums of ``requests`` and ``accepts``.
    private(set) var requestsInWindow = 0
    private(set) var acceptsInWindow = 0
    /// The absolute index of the newest bucket (time since the origin ÷ bucket width).
    private var newestBucket: Int64 = 0

    /// An empty window for `configuration`, made total (see ``AdaptiveThrottleConfiguration``).
    init(_ configuration: AdaptiveThrottleConfiguration) {
        let bucketCount = max(configuration.bucketCount, 1)
        multiplier = configuration.multiplier.isFinite ? max(configuration.multiplier, 1) : 1
        maxRejectionProbability =
            configuration.maxRejectionProbability.isNaN
            ? 1 : min(max(configuration.maxRejectionProbability, 0), 1)
        bucketWidth = max(configuration.window.saturatingNanoseconds / Int64(bucketCount), 1)
        requests = Array(repeating: 0, count: bucketCount)
        accepts = Array(repeating: 0, count: bucketCount)
    }

    private var slot: Int { Int(newestBucket % Int64(requests.count)) }

    /// Moves the window to `now`, clearing the buckets that fell out of it.
    mutating func advance(to now: Duration) {
        let current = max(now.saturatingNanoseconds, 0) / bucketWidth
        guard current > newestBucket else { return }
        let expired = min(current - newestBucket, Int64(requests.count))
        for offset in 1...expired {
            let slot = Int((newestBucket + offset) % Int64(requests.count))
            requestsInWindow -= requests[slot]
            acceptsInWindow -= accepts[slot]
            requests[slot] = 0
            accepts[slot] = 0
        }
        newestBucket = current
    }

    /// The probability of rejecting a call now: `max(0, (requests − K × accepts) / (requests + 1))`,
    /// capped.
    mutating func rejectionProbability(at now: Duration) -> Double {
        advance(to: now)
        return probability
    }

    /// The probability for the counts as they are.
    var probability: Double {
        let excess = Double(requestsInWindow) - multiplier * Double(acceptsInWindow)
        guard excess > 0 else { return 0 }
        return min(excess / Double(requestsInWindow + 1), maxRejectionProbability)
    }

    /// Counts a call rejected locally: a request the backend never saw.
    mutating func recordRejection(at now: Duration) {
        advance(to: now)
        requests[slot] += 1
        requestsInWindow += 1
    }

    /// Counts a call the backend answered: a request, and an accept unless it signalled overload.
    mutating func recordResponse(accepted: Bool, at now: Duration) {
        advance(to: now)
        requests[slot] += 1
        requestsInWindow += 1
        if accepted {
            accepts[slot] += 1
            acceptsInWindow += 1
        }
    }

    /// Forgets every count.
    mutating func reset() {
        for slot in requests.indices {
            requests[slot] = 0
            accepts[slot] = 0
        }
        requestsInWindow = 0
        acceptsInWindow = 0
    }
}
