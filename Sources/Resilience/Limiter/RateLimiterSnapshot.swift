/// A rate limiter's permits and counts at one moment, for dashboards, health checks and tests.
public struct RateLimiterSnapshot: Hashable, Sendable, CustomStringConvertible {
    /// The permits a call could take now without waiting: tokens in the bucket, or room left in the
    /// window (counting the reservations that fall in windows holding the current segment).
    public var availablePermits: Int
    /// The calls waiting for a permit they reserved.
    public var waitingCalls: Int
    /// The calls given a permit so far, at once or by a reservation (a reservation given back by a
    /// cancelled caller is not counted).
    public var admittedCalls: Int64
    /// The calls refused so far.
    public var rejectedCalls: Int64

    /// Creates a snapshot.
    ///
    /// - Parameters:
    ///   - availablePermits: The permits a call could take now.
    ///   - waitingCalls: The calls waiting for a reserved permit.
    ///   - admittedCalls: The calls given a permit so far.
    ///   - rejectedCalls: The calls refused so far.
    public init(availablePermits: Int, waitingCalls: Int = 0, admittedCalls: Int64 = 0, rejectedCalls: Int64 = 0) {
        self.availablePermits = availablePermits
        self.waitingCalls = waitingCalls
        self.admittedCalls = admittedCalls
        self.rejectedCalls = rejectedCalls
    }

    /// A summary such as `4 available, 0 waiting, 120 admitted, 7 rejected`.
    public var description: String {
        "\(availablePermits) available, \(waitingCalls) waiting, \(admittedCalls) admitted, \(rejectedCalls) rejected"
    }
}
