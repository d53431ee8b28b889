/// A retry budget's logic, as a value: the token bucket or the sliding ratio window.
///
/// Exactly one of ``bucket`` and ``window`` is set. They are separate stored properties (rather than
/// an enum's payloads) so that every update mutates them in place: no copy of the window's counters,
/// and so no allocation, under the budget's lock.
struct RetryBudgetState: Sendable {
    /// Tokens that retries spend and successes refill.
    struct TokenBucket: Sendable {
        let capacity: Double
        let retryCost: Double
        let successRefill: Double
        var tokens: Double

        init(capacity: Double, retryCost: Double, successRefill: Double) {
            self.capacity = capacity
            self.retryCost = retryCost
            self.successRefill = successRefill
            self.tokens = capacity
        }

        mutating func refill() {
            tokens = min(capacity, tokens + successRefill)
        }

        mutating func tryAcquireRetry() -> Bool {
            guard tokens >= retryCost else { return false }
            tokens -= retryCost
            return true
        }
    }

    /// Requests and retries counted in buckets over a sliding window, with running totals.
    struct RatioWindow: Sendable {
        static let bucketCount = 10

        let ratio: Double
        let bucketWidth: Duration
        let minimumRetries: Int
        let windowDescription: String
        /// Requests and retries per bucket; the newest bucket is at ``slot``.
        var requests = [Int](repeating: 0, count: bucketCount)
        var retries = [Int](repeating: 0, count: bucketCount)
        /// The sums of ``requests`` and ``retries``.
        var requestsInWindow = 0
        var retriesInWindow = 0
        /// The absolute index of the newest bucket (time since creation ÷ bucket width).
        var newestBucket: Int64 = 0

        init(ratio: Double, window: Duration, minimumRetries: Int) {
            self.ratio = ratio
            self.bucketWidth = window / Self.bucketCount
            self.minimumRetries = minimumRetries
            self.windowDescription = "\(window.inSeconds) s"
        }

        var slot: Int { Int(newestBucket % Int64(Self.bucketCount)) }

        /// Moves the window to `now`, clearing buckets that fell out of it. A clock that went back
        /// leaves the window where it is.
        mutating func advance(to now: Duration) {
            let width = max(bucketWidth.saturatingNanoseconds, 1)
            let current = max(now.saturatingNanoseconds, 0) / width
            guard current > newestBucket else { return }
            let expired = min(current - newestBucket, Int64(Self.bucketCount))
            for offset in 1...expired {
                let slot = Int((newestBucket + offset) % Int64(Self.bucketCount))
                requestsInWindow -= requests[slot]
                retriesInWindow -= retries[slot]
                requests[slot] = 0
                retries[slot] = 0
            }
            newestBucket = current
        }

        mutating func recordRequest(at now: Duration) {
            advance(to: now)
            requests[slot] += 1
            requestsInWindow += 1
        }

        mutating func tryAcquireRetry(at now: Duration) -> Bool {
            advance(to: now)
            let allowance = Double(minimumRetries) + ratio * Double(requestsInWindow)
            guard Double(retriesInWindow + 1) <= allowance else { return false }
            retries[slot] += 1
            retriesInWindow += 1
            return true
        }
    }

    /// The token bucket, for a token-bucket budget.
    private(set) var bucket: TokenBucket?
    /// The window, for a ratio budget.
    private(set) var window: RatioWindow?
    /// A ratio budget refuses every retry until this time: its fleet has spent its share.
    var fleetVetoUntil: Duration?

    init(_ bucket: TokenBucket) {
        self.bucket = bucket
    }

    init(_ window: RatioWindow) {
        self.window = window
    }

    var countsRequests: Bool { window != nil }

    mutating func recordRequest(at now: Duration) {
        window?.recordRequest(at: now)
    }

    mutating func recordSuccess() {
        bucket?.refill()
    }

    mutating func tryAcquireRetry(at now: Duration) -> Bool {
        if let allowed = bucket?.tryAcquireRetry() { return allowed }
        if let until = fleetVetoUntil {
            if now < until { return false }
            fleetVetoUntil = nil
        }
        return window?.tryAcquireRetry(at: now) ?? true
    }

    mutating func snapshot(at now: Duration) -> RetryBudget.Snapshot {
        if let tokens = bucket?.tokens { return RetryBudget.Snapshot(tokens: tokens) }
        window?.advance(to: now)
        return RetryBudget.Snapshot(requestsInWindow: window?.requestsInWindow, retriesInWindow: window?.retriesInWindow)
    }

    var ruleDescription: String {
        if let bucket {
            return "token bucket of \(bucket.capacity), \(bucket.retryCost) per retry, +\(bucket.successRefill) per success"
        }
        guard let window else { return "none" }
        return "ratio \(window.ratio) over \(window.windowDescription), minimum \(window.minimumRetries)"
    }
}
