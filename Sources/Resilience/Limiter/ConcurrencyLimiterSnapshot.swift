/// A concurrency limiter's permits and counts at one moment, for dashboards, health checks and tests.
///
/// There is no count of admitted calls: a call that does not wait changes a single atomic word on
/// its way in and out, and counting it would double that cost. Count calls where they are made (or
/// from a strategy's events) if you need the total.
public struct ConcurrencyLimiterSnapshot: Hashable, Sendable, CustomStringConvertible {
    /// The most calls that may hold a permit at once.
    public var maxConcurrentCalls: Int
    /// The calls holding a permit now.
    public var permitsInUse: Int
    /// The calls waiting for a permit now.
    public var waitingCalls: Int
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
    ///   - rejectedCalls: The calls refused so far.
    public init(maxConcurrentCalls: Int, permitsInUse: Int = 0, waitingCalls: Int = 0, rejectedCalls: Int64 = 0) {
        self.maxConcurrentCalls = maxConcurrentCalls
        self.permitsInUse = permitsInUse
        self.waitingCalls = waitingCalls
        self.rejectedCalls = rejectedCalls
    }

    /// A summary such as `3/10 in use, 0 waiting, 4 rejected`.
    public var description: String {
        "\(permitsInUse)/\(maxConcurrentCalls) in use, \(waitingCalls) waiting, \(rejectedCalls) rejected"
    }
}
