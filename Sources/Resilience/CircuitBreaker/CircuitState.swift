/// The state of a ``CircuitBreaker``.
///
/// | state | calls | leaves it |
/// |---|---|---|
/// | ``closed`` | all pass; outcomes are counted | trips to ``open`` when a trip rule fires |
/// | ``open`` | all rejected with ``CircuitOpenError`` | to ``halfOpen`` on the first call after the break duration |
/// | ``halfOpen`` | up to ``CircuitBreakerConfiguration/maxConcurrentProbes`` probes; others rejected | to ``closed`` after enough successful probes, to ``open`` on a failed one |
/// | ``isolated`` | all rejected (held open by hand) | ``CircuitBreaker/release()`` or ``CircuitBreaker/reset()`` |
/// | ``disabled`` | all pass; outcomes are counted but never trip | ``CircuitBreaker/release()`` or ``CircuitBreaker/reset()`` |
///
/// A struct with static members rather than an enum, so states can be added without breaking code
/// that switches over them. Encodes as its ``name``.
public struct CircuitState: Hashable, Sendable, CaseIterable, Codable, CustomStringConvertible {
    @usableFromInline
    enum Storage: String, Hashable, Sendable, CaseIterable {
        case closed, open, halfOpen, isolated, disabled
    }

    @usableFromInline
    let storage: Storage

    @inlinable
    init(_ storage: Storage) {
        self.storage = storage
    }

    /// Calls pass and their outcomes are counted.
    public static let closed = CircuitState(.closed)
    /// Calls are rejected until the break duration has passed.
    public static let open = CircuitState(.open)
    /// A few probe calls test whether the downstream has recovered; other calls are rejected.
    public static let halfOpen = CircuitState(.halfOpen)
    /// Held open by hand (``CircuitBreaker/isolate()``): every call is rejected until released.
    public static let isolated = CircuitState(.isolated)
    /// Switched off by hand (``CircuitBreaker/disable()``): every call passes; outcomes are still
    /// counted, but never trip the breaker.
    public static let disabled = CircuitState(.disabled)

    /// Every state, in the order of the table above.
    public static let allCases: [CircuitState] = Storage.allCases.map(CircuitState.init)

    /// The state's name as used in JSON and logs, such as `halfOpen`.
    public var name: String { storage.rawValue }

    /// The state whose ``name`` is `name`, or `nil` if there is none.
    ///
    /// - Parameter name: A state name such as `open`.
    public init?(name: String) {
        guard let storage = Storage(rawValue: name) else { return nil }
        self.storage = storage
    }

    /// The state's ``name``.
    public var description: String { name }

    /// Decodes a state from its ``name``.
    ///
    /// - Throws: `DecodingError.dataCorrupted` for a name that is not a state.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let state = CircuitState(name: name) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "unknown circuit state \"\(name)\"; expected one of "
                    + CircuitState.allCases.map(\.name).joined(separator: ", ")
            )
        }
        self = state
    }

    /// Encodes the state as its ``name``.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}
