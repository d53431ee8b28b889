/// A ``CircuitBreakerRecord`` that cannot be used: decoded from malformed data, or with a field out
/// of range or inconsistent with the others.
///
/// ``field`` names the offending field with a dotted path such as `window.buckets[3]` or
/// `probes[0].id`, so the message points at what to fix. Decoding a record, whatever the bytes, and
/// restoring a state machine from one throw this error (or, for bytes that are not JSON at all,
/// the decoder's own error), never crash.
///
/// A struct with a ``Code`` rather than an enum, so new codes can be added without breaking code
/// that switches over them.
public struct CircuitBreakerRecordError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of problem a ``CircuitBreakerRecordError`` reports.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Storage: Hashable, Sendable {
            case invalidValue, unknownField, wrongType, unsupportedVersion
        }

        private let storage: Storage

        /// A field has a value outside its range, or one inconsistent with the other fields.
        public static let invalidValue = Code(storage: .invalidValue)
        /// The data has a field the format does not have (often a typo, which would otherwise lose
        /// the value silently).
        public static let unknownField = Code(storage: .unknownField)
        /// A field's value has the wrong type or shape, such as a string where a number belongs, or
        /// a number that is not a whole number in range of its type.
        public static let wrongType = Code(storage: .wrongType)
        /// The record has a format version this library does not read, such as one written by a
        /// later version of the library.
        public static let unsupportedVersion = Code(storage: .unsupportedVersion)

        /// A short name of the code, such as `invalidValue`.
        public var description: String {
            switch storage {
            case .invalidValue: "invalidValue"
            case .unknownField: "unknownField"
            case .wrongType: "wrongType"
            case .unsupportedVersion: "unsupportedVersion"
            }
        }
    }

    /// What kind of problem this is.
    public var code: Code
    /// The dotted path of the offending field, such as `openUntil` or `window.buckets[3]`.
    public var field: String
    /// A sentence fragment saying what is wrong, such as `must not be negative, got -1`.
    public var reason: String

    /// Creates an error.
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

    /// A message naming the field and the problem, such as
    /// `invalid circuit breaker record: generation must not be negative, got -1`.
    public var description: String {
        "invalid circuit breaker record: \(field) \(reason)"
    }

    static func invalid(_ field: String, _ reason: String) -> CircuitBreakerRecordError {
        CircuitBreakerRecordError(.invalidValue, field: field, reason: reason)
    }

    /// The same error with `prefix` added to the front of its field path.
    func nested(under prefix: String) -> CircuitBreakerRecordError {
        var copy = self
        copy.field = field.isEmpty ? prefix : "\(prefix).\(field)"
        return copy
    }

    /// The record error for a problem the shared field decoding reported.
    init(_ error: ConfigurationError) {
        let code: Code =
            switch error.code {
            case .unknownField: .unknownField
            case .wrongType: .wrongType
            default: .invalidValue
            }
        self.init(code, field: error.field, reason: error.reason)
    }
}
