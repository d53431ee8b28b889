/// A policy or configuration value was invalid.
///
/// Thrown when a ``RetryPolicy`` (or another validated configuration value) is created or decoded with
/// a value out of range, an unknown field, or a field of the wrong type. ``field`` names the offending
/// field with a dotted path such as `backoff.multiplier`, so the message points at the line to fix.
///
/// The error is a struct with a ``Code`` rather than an enum, so new codes can be added without
/// breaking code that switches over them.
public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of problem a ``ConfigurationError`` reports.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Storage: Hashable, Sendable {
            case invalidValue, unknownField, wrongType
        }

        private let storage: Storage

        /// The field has a value outside its allowed range.
        public static let invalidValue = Code(storage: .invalidValue)
        /// The input names a field the configuration does not have (often a typo).
        public static let unknownField = Code(storage: .unknownField)
        /// The field's value has the wrong type or shape, such as a string where a number belongs.
        public static let wrongType = Code(storage: .wrongType)

        /// A short name of the code, such as `invalidValue`.
        public var description: String {
            switch storage {
            case .invalidValue: "invalidValue"
            case .unknownField: "unknownField"
            case .wrongType: "wrongType"
            }
        }
    }

    /// What kind of problem this is.
    public var code: Code
    /// The dotted path of the offending field, such as `maxAttempts` or `backoff.multiplier`.
    public var field: String
    /// A sentence fragment saying what is wrong, such as `must be at least 1, got 0`.
    public var reason: String

    /// Creates a configuration error.
    ///
    /// - Parameters:
    ///   - code: What kind of problem this is.
    ///   - field: The dotted path of the offending field.
    ///   - reason: What is wrong with it.
    public init(_ code: Code, field: String, reason: String) {
        self.code = code
        self.field = field
        self.reason = reason
    }

    /// A message naming the field and the problem, such as `invalid configuration: maxAttempts must be at least 1, got 0`.
    public var description: String {
        "invalid configuration: \(field) \(reason)"
    }

    static func invalid(_ field: String, _ reason: String) -> ConfigurationError {
        ConfigurationError(.invalidValue, field: field, reason: reason)
    }

    /// The same error with `prefix` added to the front of its field path.
    func nested(under prefix: String) -> ConfigurationError {
        var copy = self
        copy.field = field.isEmpty ? prefix : "\(prefix).\(field)"
        return copy
    }
}
