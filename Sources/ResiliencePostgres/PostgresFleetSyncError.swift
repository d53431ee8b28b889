#if Postgres
/// Why a sync round failed, or why a row the sync read was ignored. Never thrown at a caller of a
/// breaker: the sync reports it as a ``PostgresFleetSyncEvent`` and carries on.
public struct PostgresFleetSyncError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    ///
    /// A struct with static members rather than an enum, so codes can be added without breaking code
    /// that switches over them.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Storage: String, Hashable, Sendable {
            case database, timedOut, previousRoundRunning, schemaTooNew, malformedResult
        }

        let storage: Storage

        /// The database failed the round: unreachable, restarting, an error in the statement.
        public static let database = Code(storage: .database)
        /// The round trip took longer than ``PostgresFleetStoreConfiguration/syncTimeout``.
        public static let timedOut = Code(storage: .timedOut)
        /// The previous round's statement is still running (the database hangs); no new one was sent.
        public static let previousRoundRunning = Code(storage: .previousRoundRunning)
        /// The schema was migrated by a newer version of this library; it is left alone.
        public static let schemaTooNew = Code(storage: .schemaTooNew)
        /// The result had no clock row, or columns of the wrong types.
        public static let malformedResult = Code(storage: .malformedResult)

        /// The code's name, such as `timedOut`.
        public var description: String { storage.rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// Details, such as the database's message.
    public var reason: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What went wrong.
    ///   - reason: Details.
    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    /// A summary such as `timedOut: no answer within 0.1 s`.
    public var description: String { "\(code): \(reason)" }
}

/// A row of the fleet's tables that the sync ignored because its values are absurd (a negative
/// count, more failures than calls, an unknown state, a heartbeat far in the future...): the
/// database's rows are input, written by other processes, and never make an instance crash.
public struct PostgresFleetRowError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong with the row.
    ///
    /// A struct with static members rather than an enum, so codes can be added without breaking code
    /// that switches over them.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Storage: String, Hashable, Sendable {
            case emptyInstance, unknownState, countOutOfRange, failuresAboveCalls, heartbeatInFuture, invalidLease
        }

        let storage: Storage

        /// The row names no instance.
        public static let emptyInstance = Code(storage: .emptyInstance)
        /// The row's state is not a circuit state's name.
        public static let unknownState = Code(storage: .unknownState)
        /// A count is negative or above `Int32.max`.
        public static let countOutOfRange = Code(storage: .countOutOfRange)
        /// The failures or slow calls exceed the calls.
        public static let failuresAboveCalls = Code(storage: .failuresAboveCalls)
        /// The heartbeat is more than the time to live ahead of the database's clock (it would never expire).
        public static let heartbeatInFuture = Code(storage: .heartbeatInFuture)
        /// A probe lease row's round, verdict or holders cannot be read (unreadable holders are dropped).
        public static let invalidLease = Code(storage: .invalidLease)

        /// The code's name, such as `countOutOfRange`.
        public var description: String { storage.rawValue }
    }

    /// What is wrong.
    public var code: Code
    /// The table, such as `breakers`.
    public var table: String
    /// The breaker's or budget's name.
    public var name: String
    /// The instance of the row, if it has one.
    public var instance: String?
    /// Details.
    public var reason: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What is wrong.
    ///   - table: The table.
    ///   - name: The breaker's or budget's name.
    ///   - instance: The row's instance.
    ///   - reason: Details.
    public init(_ code: Code, table: String, name: String, instance: String?, reason: String) {
        self.code = code
        self.table = table
        self.name = name
        self.instance = instance
        self.reason = reason
    }

    /// A summary such as `countOutOfRange in breakers (ocr @ api-2): calls is -5`.
    public var description: String {
        "\(code) in \(table) (\(name)\(instance.map { " @ \($0)" } ?? "")): \(reason)"
    }
}
#endif
