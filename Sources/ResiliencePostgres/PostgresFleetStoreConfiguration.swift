#if Postgres
import Resilience

/// Where a fleet's shared state lives in PostgreSQL, and how long one sync may take: a validated value.
///
/// The store touches only its own schema's tables, named from `schema` and `tablePrefix`
/// (with the defaults, `resilience.fleet_migrations`, `resilience.fleet_breakers`,
/// `resilience.fleet_probe_leases` and `resilience.fleet_budgets`); see <doc:SharingBreakersAcrossAFleet>
/// for their SQL.
///
/// ```swift
/// let store = try PostgresFleetStoreConfiguration(schema: "payments_resilience", syncTimeout: .milliseconds(500))
/// ```
public struct PostgresFleetStoreConfiguration: Hashable, Sendable {
    /// The schema holding the tables, created on first use: a lower-case SQL identifier (`a-z`, `0-9`,
    /// `_`, not starting with a digit, at most 40 characters). `resilience` by default.
    public var schema: String
    /// The prefix of the tables' names, the same kind of identifier (it may be empty). `fleet_` by
    /// default.
    public var tablePrefix: String
    /// The longest a sync's round trip may take before the sync gives up on it (the round counts as
    /// failed; the statement is cancelled), or `nil` for the sync interval. Positive.
    public var syncTimeout: Duration?

    /// The schema `resilience`, tables prefixed `fleet_`, a round trip bounded by the sync interval.
    public static let `default` = PostgresFleetStoreConfiguration(unchecked: "resilience", tablePrefix: "fleet_", syncTimeout: nil)

    /// Creates a validated configuration.
    ///
    /// - Parameters:
    ///   - schema: The schema holding the tables.
    ///   - tablePrefix: The prefix of the tables' names.
    ///   - syncTimeout: The longest one round trip may take, or `nil` for the sync interval.
    /// - Throws: `ConfigurationError` naming `schema`, `tablePrefix` or `syncTimeout`.
    public init(schema: String = "resilience", tablePrefix: String = "fleet_", syncTimeout: Duration? = nil) throws(ConfigurationError) {
        self.init(unchecked: schema, tablePrefix: tablePrefix, syncTimeout: syncTimeout)
        try validate()
    }

    init(unchecked schema: String, tablePrefix: String, syncTimeout: Duration?) {
        self.schema = schema
        self.tablePrefix = tablePrefix
        self.syncTimeout = syncTimeout
    }

    /// A copy with `changes` applied, then checked.
    ///
    /// - Parameter changes: Sets the fields to change.
    /// - Returns: The changed configuration.
    /// - Throws: `ConfigurationError` naming the first invalid field.
    public func with(
        _ changes: (inout PostgresFleetStoreConfiguration) -> Void
    ) throws(ConfigurationError) -> PostgresFleetStoreConfiguration {
        var copy = self
        changes(&copy)
        try copy.validate()
        return copy
    }

    /// Checks every field, throwing for the first invalid one.
    ///
    /// - Throws: `ConfigurationError` naming `schema`, `tablePrefix` or `syncTimeout`.
    public func validate() throws(ConfigurationError) {
        guard Self.isIdentifier(schema, allowsEmpty: false) else {
            throw ConfigurationError(
                .invalidValue, field: "schema",
                reason: "must be 1 to 40 characters of a-z, 0-9 and _, not starting with a digit, got \"\(schema)\"")
        }
        guard Self.isIdentifier(tablePrefix, allowsEmpty: true) else {
            throw ConfigurationError(
                .invalidValue, field: "tablePrefix",
                reason: "must be up to 40 characters of a-z, 0-9 and _, not starting with a digit, got \"\(tablePrefix)\"")
        }
        if let syncTimeout, syncTimeout <= .zero {
            throw ConfigurationError(.invalidValue, field: "syncTimeout", reason: "must be positive, got \(syncTimeout)")
        }
    }

    /// Whether `name` is an identifier the store writes into SQL unquoted-safe: lower-case ASCII
    /// letters, digits and underscores, not starting with a digit, at most 40 characters (so that the
    /// longest table name stays within PostgreSQL's 63).
    static func isIdentifier(_ name: String, allowsEmpty: Bool) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count <= 40 else { return false }
        guard let first = bytes.first else { return allowsEmpty }
        guard !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_")
        }
    }

    /// The quoted, schema-qualified name of the table `name` (`"resilience"."fleet_breakers"`).
    func table(_ name: String) -> String {
        "\"\(schema)\".\"\(tablePrefix)\(name)\""
    }
}
#endif
