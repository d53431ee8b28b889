/// A concurrency limiter's permits and counts at one moment, for dashboards, health checks and tests.
public struct ConcurrencyLimiterSnapshot: Hashable, Sendable, CustomStringConvertible {
    /// The most calls that may hold a permit at once.
    public var maxConcurrentCalls: Int
    /// The calls holding a permit now.
    public var permitsInUse: Int
    /// The calls waiting for a permit now.
    public var waitingCalls: Int
    /// The calls given a permit so far, at once or after waiting.
    public var admittedCalls: Int64
    /// The calls refused so far: the queue was full, or their wait ran out.
    public var rejectedCalls: Int64

    /// The permits free now.
    public var availablePermits: Int {
        max(maxConcurrentCalls - permitsInUse, 0)
    }

    /// Creates a snapshot.
    ///
    /// - Parameters:
    ///   - maxConcurrentCalls: The most calls that may hold a permit at once.
    ///   - permitsInUse: The calls holding a permit.
    ///   - waitingCalls: The calls waiting for a permit.
    ///   - admittedCalls: The calls given a permit so far.
    ///   - rejectedCalls: The calls refused so far.
    public init(maxConcurrentCalls: Int, permitsInUse: Int = 0, waitingCalls: Int = 0, admittedCalls: Int64 = 0, rejectedCalls: Int64 = 0) {
        self.maxConcurrentCalls = maxConcurrentCalls
        self.permitsInUse = permitsInUse
        self.waitingCalls = waitingCalls
        self.admittedCalls = admittedCalls
        self.rejectedCalls = rejectedCalls
    }

    /// A summary such as `3/10 in use, 0 waiting, 120 admitted, 4 rejected`.
    public var description: String {
        "\(permitsInUse)/\(maxConcurrentCalls) in use, \(waitingCalls) waiting, \(admittedCalls) admitted, \(rejectedCalls) rejected"
    }
}
