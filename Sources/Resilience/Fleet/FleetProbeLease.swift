/// The right of one instance to probe a downstream for the fleet, until it expires.
public struct FleetProbeLease: Hashable, Sendable, Codable {
    /// The instance holding it.
    public var instance: String
    /// When it was granted, in nanoseconds since the Unix epoch.
    public var grantedAt: Int64
    /// When it expires, in nanoseconds since the Unix epoch.
    public var expiresAt: Int64

    /// Creates a lease.
    ///
    /// - Parameters:
    ///   - instance: The instance holding it.
    ///   - grantedAt: When it was granted.
    ///   - expiresAt: When it expires.
    public init(instance: String, grantedAt: Int64, expiresAt: Int64) {
        self.instance = instance
        self.grantedAt = grantedAt
        self.expiresAt = expiresAt
    }
}
