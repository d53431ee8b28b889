/// What kind of failure an error represents, which decides whether and how it is retried.
///
/// Categories are fine-grained so that policies can choose precisely what they retry (the
/// ``RetryPolicy/default`` preset retries only timeouts and connection failures, as tenacity's
/// `retry_if_exception_type((TimeoutError, ConnectionError))` does). ``isTransient`` groups the four transient
/// categories:
///
/// | category | transient | examples |
/// |---|---|---|
/// | ``timeout`` | yes | `ETIMEDOUT`, `URLError.timedOut`, ``TimeoutError`` |
/// | ``connectionFailure`` | yes | refused, reset or aborted connections, unreachable hosts, DNS failures |
/// | ``ioFailure`` | yes | `EIO`, `EAGAIN`, `EBUSY`, `EINTR`, out of buffers or file descriptors |
/// | ``transient`` | yes | HTTP 500, 502, 503, 504; user errors marked transient |
/// | ``rateLimited`` | no | HTTP 429, a provider's "slow down" |
/// | ``permanent`` | no | bad input, not found, authentication failures, unknown errors |
/// | ``rejected`` | no | a resilience strategy refused the call: an open circuit breaker |
/// | ``cancellation`` | no | `CancellationError`, also wrapped; never retried |
public struct ErrorCategory: Hashable, Sendable, CaseIterable, Codable, CustomStringConvertible {
    @usableFromInline
    enum Storage: String, Hashable, Sendable, CaseIterable {
        case timeout, connectionFailure, ioFailure, transient, rateLimited, permanent, rejected, cancellation
    }

    @usableFromInline
    let storage: Storage

    @inlinable
    init(storage: Storage) {
        self.storage = storage
    }

    /// The operation timed out.
    public static let timeout = ErrorCategory(storage: .timeout)
    /// A connection could not be made or was lost: refused, reset, aborted, unreachable host or network, DNS.
    public static let connectionFailure = ErrorCategory(storage: .connectionFailure)
    /// A local I/O failure likely to pass: `EIO`, `EAGAIN`, `EBUSY`, `EINTR`, buffers or descriptors exhausted.
    public static let ioFailure = ErrorCategory(storage: .ioFailure)
    /// Any other transient failure, such as an HTTP 503 or a user error marked transient.
    public static let transient = ErrorCategory(storage: .transient)
    /// The service asked the caller to slow down, possibly saying how long to wait.
    public static let rateLimited = ErrorCategory(storage: .rateLimited)
    /// Retrying cannot help: invalid input, not found, not authorised. Also the default for unknown errors.
    public static let permanent = ErrorCategory(storage: .permanent)
    /// A resilience strategy refused to make the call, such as a circuit breaker that is open. No
    /// preset retries it: retrying would only wait against a service known to be down. Its
    /// ``ErrorClassification/retryAfter`` says when the strategy may admit calls again.
    public static let rejected = ErrorCategory(storage: .rejected)
    /// The work was cancelled. Never retried, whatever a policy says.
    public static let cancellation = ErrorCategory(storage: .cancellation)

    /// Every category, in the order of the table above.
    public static let allCases: [ErrorCategory] = Storage.allCases.map(ErrorCategory.init(storage:))

    /// The four transient categories: ``timeout``, ``connectionFailure``, ``ioFailure`` and ``transient``.
    public static let allTransient: Set<ErrorCategory> = [.timeout, .connectionFailure, .ioFailure, .transient]

    /// This category's bit in a policy's set of retryable categories.
    @usableFromInline
    var bit: UInt16 {
        switch storage {
        case .timeout: 1 << 0
        case .connectionFailure: 1 << 1
        case .ioFailure: 1 << 2
        case .transient: 1 << 3
        case .rateLimited: 1 << 4
        case .permanent: 1 << 5
        case .rejected: 1 << 6
        case .cancellation: 1 << 7
        }
    }

    /// Whether failures of this category are expected to pass on their own.
    public var isTransient: Bool {
        switch storage {
        case .timeout, .connectionFailure, .ioFailure, .transient: true
        case .rateLimited, .permanent, .rejected, .cancellation: false
        }
    }

    /// The category's name as used in JSON and logs, such as `connectionFailure`.
    public var name: String { storage.rawValue }

    /// The category whose ``name`` is `name`, or `nil` if there is none.
    ///
    /// - Parameter name: A category name such as `rateLimited`.
    public init?(name: String) {
        guard let storage = Storage(rawValue: name) else { return nil }
        self.storage = storage
    }

    /// The category's ``name``.
    public var description: String { name }

    /// Decodes a category from its ``name``.
    ///
    /// - Throws: `DecodingError.dataCorrupted` for a name that is not a category.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let category = ErrorCategory(name: name) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "unknown error category \"\(name)\"; expected one of \(ErrorCategory.allNames)"
            )
        }
        self = category
    }

    /// Encodes the category as its ``name``.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }

    static var allNames: String {
        allCases.map(\.name).joined(separator: ", ")
    }
}
