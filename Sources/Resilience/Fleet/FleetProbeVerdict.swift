/// The outcome of one instance's probing for the fleet: the downstream recovered (the fleet closes)
/// or did not (the fleet starts a new break).
public struct FleetProbeVerdict: Hashable, Sendable, Codable {
    /// Closed or reopened.
    ///
    /// A struct with static members rather than an enum, so outcomes can be added without breaking
    /// code that switches over them. Encodes as its name.
    public struct Outcome: Hashable, Sendable, Codable, CustomStringConvertible {
        enum Storage: String, Hashable, Sendable {
            case closed, reopened
        }

        let storage: Storage

        /// The probes succeeded: the fleet's circuit closes.
        public static let closed = Outcome(storage: .closed)
        /// A probe failed: the fleet's circuit opens for another break.
        public static let reopened = Outcome(storage: .reopened)

        /// The outcome's name: `closed` or `reopened`.
        public var description: String { storage.rawValue }

        /// Decodes an outcome from its name.
        ///
        /// - Throws: `DecodingError.dataCorrupted` for another name.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            let name = try container.decode(String.self)
            guard let storage = Storage(rawValue: name) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "unknown probe outcome \"\(name)\"; expected closed or reopened")
            }
            self.storage = storage
        }

        init(storage: Storage) {
            self.storage = storage
        }

        /// Encodes the outcome's name.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(storage.rawValue)
        }
    }

    /// What the probes decided.
    public var outcome: Outcome
    /// When it was recorded, in nanoseconds since the Unix epoch.
    public var at: Int64
    /// The instance whose probes decided.
    public var instance: String
    /// The round it started.
    public var round: UInt64

    /// Creates a verdict.
    ///
    /// - Parameters:
    ///   - outcome: What the probes decided.
    ///   - at: When it was recorded.
    ///   - instance: The instance whose probes decided.
    ///   - round: The round it started.
    public init(outcome: Outcome, at: Int64, instance: String, round: UInt64) {
        self.outcome = outcome
        self.at = at
        self.instance = instance
        self.round = round
    }
}
