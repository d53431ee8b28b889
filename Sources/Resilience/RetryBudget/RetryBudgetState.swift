/// A retry budget's logic, as a value: the token bucket or the sliding ratio window.
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
    }

    /// Requests and retries counted in buckets over a sliding window.
    struct RatioWindow: Sendable {
        static let bucketCount = 10

        let ratio: Double
        let bucketWidth: Duration
        let minimumRetries: Int
        let windowDescription: String
        /// Requests and retries per bucket; bucket `i` covers `[start(i), start(i) + width)`.
        var requests = [Int](repeating: 0, count: bucketCount)
        var retries = [Int](repeating: 0, count: bucketCount)
        /// The absolute index of the newest bucket (time since creation ÷ bucket width).
        var newestBucket: Int64 = 0

        init(ratio: Double, window: Duration, minimumRetries: Int) {
            self.ratio = ratio
            self.bucketWidth = window / Self.bucketCount
            self.minimumRetries = minimumRetries
            self.windowDescription = "\(window.inSeconds) s"
        }

        /// Moves the window to `now`, clearing buckets that fell out of it.
        mutating func advance(to now: Duration) {
            let width = max(bucketWidth.saturatingNanoseconds, 1)
            let current = max(now.saturatingNanoseconds, 0) / width
            guard current > newestBucket else { return }
            let expired = min(current - newestBucket, Int64(Self.bucketCount))
            for offset in 1...expired {
                let slot = Int((newestBucket + offset) % Int64(Self.bucketCount))
                requests[slot] = 0
                retries[slot] = 0
            }
            newestBucket = current
        }

        var slot: Int { Int(newestBucket % Int64(Self.bucketCount)) }
        var requestsInWindow: Int { requests.reduce(0, +) }
        var retriesInWindow: Int { retries.reduce(0, +) }
    }

    enum Rule: Sendable {
        case tokenBucket(TokenBucket)
        case ratio(RatioWindow)
    }

    var rule: Rule

    static func tokenBucket(_ bucket: TokenBucket) -> RetryBudgetState { RetryBudgetState(rule: .tokenBucket(bucket)) }
    static func ratio(_ window: RatioWindow) -> RetryBudgetState { RetryBudgetState(rule: .ratio(window)) }

    var countsRequests: Bool {
        if case .ratio = rule { return true }
        return false
    }

    mutating func recordRequest(at now: Duration) {
        guard case .ratio(var window) = rule else { return }
        window.advance(to: now)
        window.requests[window.slot] += 1
        rule = .ratio(window)
    }

    mutating func recordSuccess() {
        guard case .tokenBucket(var bucket) = rule, bucket.successRefill > 0 else { return }
        bucket.tokens = min(bucket.capacity, bucket.tokens + bucket.successRefill)
        rule = .tokenBucket(bucket)
    }

    mutating func tryAcquireRetry(at now: Duration) -> Bool {
        switch rule {
        case .tokenBucket(var bucket):
            guard bucket.tokens >= bucket.retryCost else { return false }
            bucket.tokens -= bucket.retryCost
            rule = .tokenBucket(bucket)
            return true
        case .ratio(var window):
            window.advance(to: now)
            let allowance = Double(window.minimumRetries) + window.ratio * Double(window.requestsInWindow)
            guard Double(window.retriesInWindow + 1) <= allowance else {
                rule = .ratio(window)
                return false
            }
            window.retries[window.slot] += 1
            rule = .ratio(window)
            return true
        }
    }

    mutating func snapshot(at now: Duration) -> RetryBudget.Snapshot {
        switch rule {
        case .tokenBucket(let bucket):
            return RetryBudget.Snapshot(tokens: bucket.tokens)
        case .ratio(var window):
            window.advance(to: now)
            rule = .ratio(window)
            return RetryBudget.Snapshot(requestsInWindow: window.requestsInWindow, retriesInWindow: window.retriesInWindow)
        }
    }

    var ruleDescription: String {
        switch rule {
        case .tokenBucket(let bucket):
            "token bucket of \(bucket.capacity), \(bucket.retryCost) per retry, +\(bucket.successRefill) per success"
        case .ratio(let window):
            "ratio \(window.ratio) over \(window.windowDescription), minimum \(window.minimumRetries)"
        }
    }
}
