#if Postgres
/// What a ``PostgresFleetSync`` reports: rounds that succeeded or failed, the shared view turning
/// stale and fresh again, rows ignored, the schema created. Give a handler to the sync to turn them
/// into metrics; the sync also logs them.
public struct PostgresFleetSyncEvent: Sendable, CustomStringConvertible {
    /// The kind of event.
    ///
    /// A struct with static members rather than an enum, so kinds can be added without breaking code
    /// that switches over them.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        enum Storage: String, Hashable, Sendable {
            case synced, syncFailed, viewStale, viewFresh, rowRejected, schemaMigrated
        }

        let storage: Storage

        /// A round succeeded: `roundTrip`, `breakers` and `budgets` say how long and how much.
        public static let synced = Kind(storage: .synced)
        /// A round failed: `error` says why. The breakers keep their last view until it is stale.
        public static let syncFailed = Kind(storage: .syncFailed)
        /// No round has succeeded for `FleetConfiguration.staleAfter`: every breaker and budget acts
        /// alone (local decisions) until a round succeeds.
        public static let viewStale = Kind(storage: .viewStale)
        /// A round succeeded after the view was stale (or for the first time): the fleet's view is back.
        public static let viewFresh = Kind(storage: .viewFresh)
        /// A row was ignored: `rowError` says which and why.
        public static let rowRejected = Kind(storage: .rowRejected)
        /// The schema was created or migrated to `schemaVersion`.
        public static let schemaMigrated = Kind(storage: .schemaMigrated)

        /// The kind's name, such as `viewStale`.
        public var description: String { storage.rawValue }
    }

    /// The kind of event.
    public let kind: Kind
    /// The instance whose sync reports it.
    public let instance: String
    /// For `Kind.synced`: the round trip's duration.
    public let roundTrip: Duration?
    /// For `Kind.synced`: the breakers synced.
    public let breakers: Int
    /// For `Kind.synced`: the budgets synced.
    public let budgets: Int
    /// For `Kind.syncFailed`: why.
    public let error: PostgresFleetSyncError?
    /// For `Kind.rowRejected`: the row and why.
    public let rowError: PostgresFleetRowError?
    /// For `Kind.schemaMigrated`: the version reached.
    public let schemaVersion: Int?

    init(
        _ kind: Kind,
        instance: String,
        roundTrip: Duration? = nil,
        breakers: Int = 0,
        budgets: Int = 0,
        error: PostgresFleetSyncError? = nil,
        rowError: PostgresFleetRowError? = nil,
        schemaVersion: Int? = nil
    ) {
        self.kind = kind
        self.instance = instance
        self.roundTrip = roundTrip
        self.breakers = breakers
        self.budgets = budgets
        self.error = error
        self.rowError = rowError
        self.schemaVersion = schemaVersion
    }

    /// A summary such as `api-2: syncFailed (timedOut: ...)`.
    public var description: String {
        var text = "\(instance): \(kind)"
        if let roundTrip { text += " in \(roundTrip)" }
        if kind == .synced { text += " (\(breakers) breakers, \(budgets) budgets)" }
        if let error { text += " (\(error))" }
        if let rowError { text += " (\(rowError))" }
        if let schemaVersion { text += " (version \(schemaVersion))" }
        return text
    }
}

/// What a ``PostgresFleetSync`` has done so far: counters and gauges to export.
public struct PostgresFleetSyncStatistics: Hashable, Sendable {
    /// Rounds that succeeded.
    public var rounds: Int = 0
    /// Rounds that failed.
    public var failedRounds: Int = 0
    /// Rows ignored as absurd.
    public var rejectedRows: Int = 0
    /// The last successful round trip's duration.
    public var lastRoundTrip: Duration?
    /// Whether the shared view is stale now: no round succeeded for `FleetConfiguration.staleAfter`
    /// (or none yet). Export it as a gauge.
    public var isStale: Bool = true
}
#endif
