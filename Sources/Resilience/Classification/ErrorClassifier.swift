#if canImport(FoundationEssentials)
import struct FoundationEssentials.POSIXError
#elseif canImport(Foundation)
import struct Foundation.POSIXError
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Android)
import Android
#endif

/// Maps any error to an ``ErrorClassification``: the category that decides whether it is retried,
/// and a server's "retry after" hint.
///
/// ``classify(_:)`` consults, in order:
///
/// 1. **Cancellation.** `CancellationError`, `URLError.cancelled` and `ECANCELED`, also when wrapped in
///    another error's stored properties or enum payloads, are ``ErrorCategory/cancellation``. No rule can
///    override this: cancelled work is never retried.
/// 2. **Your rules**, most recently added first. A rule returns `nil` to pass.
/// 3. **``ClassifiableError``**: errors that classify themselves.
/// 4. **Built-in knowledge**: the library's ``TimeoutError``; `POSIXError` network, timeout and I/O
///    codes (also as an `NSError` in `NSPOSIXErrorDomain`); Foundation's `URLError` network codes,
///    matched by error domain and code so that the library needs only `FoundationEssentials`.
/// 5. The **fallback**, ``ErrorCategory/permanent`` unless you choose otherwise: an error nothing
///    knows is not retried.
///
/// ```swift
/// let classifier = ErrorClassifier.default.addingRule { error in
///     guard let error = error as? VisionAPIError else { return nil }
///     return error.status == 429 ? .rateLimited(retryAfter: error.retryAfter) : nil
/// }
/// ```
public struct ErrorClassifier: Sendable {
    /// A user rule: a classification for the errors it knows, `nil` for the others.
    public typealias Rule = @Sendable (any Error) -> ErrorClassification?

    @usableFromInline
    var rules: [Rule]
    @usableFromInline
    var fallback: ErrorClassification

    /// Creates a classifier with the built-in knowledge, the given rules and fallback.
    ///
    /// - Parameters:
    ///   - fallback: The classification of errors nothing else recognises. Default: permanent.
    ///   - rules: Rules consulted before the built-in knowledge, first to last.
    @inlinable
    public init(fallback: ErrorClassification = .permanent, rules: [Rule] = []) {
        self.fallback = fallback
        self.rules = rules
    }

    /// The built-in knowledge with no user rules; unknown errors are permanent.
    ///
    /// A computed property, so that using it as a default argument costs nothing.
    @inlinable
    public static var `default`: ErrorClassifier { ErrorClassifier() }

    /// A copy of this classifier with `rule` consulted before all of its existing rules.
    ///
    /// - Parameter rule: Returns a classification for the errors it knows and `nil` for the others.
    /// - Returns: The extended classifier.
    public func addingRule(_ rule: @escaping Rule) -> ErrorClassifier {
        var copy = self
        copy.rules.insert(rule, at: 0)
        return copy
    }

    /// Classifies `error`.
    ///
    /// - Parameter error: Any error thrown by an operation.
    /// - Returns: Its classification; ``ErrorCategory/cancellation`` for cancellation in any form.
    public func classify(_ error: any Error) -> ErrorClassification {
        let facts = ErrorTypeFacts.of(error)
        if Self.isCancellation(error, facts: facts) { return .cancellation }
        for rule in rules {
            if let classification = rule(error) { return classification }
        }
        return Self.knownClassification(of: error, facts: facts) ?? fallback
    }

    /// The library's built-in knowledge of `error`, or `nil` when it has none.
    ///
    /// Recognises ``ClassifiableError``, ``TimeoutError``, `POSIXError` and `URLError` codes, and
    /// cancellation (see ``ErrorClassifier``).
    ///
    /// - Parameter error: Any error.
    /// - Returns: Its classification if the library knows the error.
    public static func builtInClassification(of error: any Error) -> ErrorClassification? {
        let facts = ErrorTypeFacts.of(error)
        if isCancellation(error, facts: facts) { return .cancellation }
        return knownClassification(of: error, facts: facts)
    }

    /// The built-in knowledge, cancellation excepted.
    private static func knownClassification(of error: any Error, facts: ErrorTypeFacts) -> ErrorClassification? {
        // ClassifiableError first, so that a conformance added to a type the library also knows wins.
        if facts.isClassifiable, let error = error as? any ClassifiableError { return error.resilienceClassification }
        if facts.isTimeoutError { return .timeout }
        if facts.isPOSIXError, let error = error as? POSIXError { return classifyPOSIX(code: error.code.rawValue) }
        switch facts.domain(of: error) {
        case .posix: return classifyPOSIX(code: Int32(truncatingIfNeeded: error._code))
        case .url: return classifyURLError(code: error._code)
        case .other: return nil
        }
    }

    // MARK: - Cancellation, also wrapped

    /// How deep ``isCancellation(_:)`` looks into stored properties and enum payloads.
    private static let wrappingDepthLimit = 3
    /// How many children per level ``isCancellation(_:)`` looks at.
    private static let wrappingBreadthLimit = 8

    /// Whether `error` is, or wraps, a cancellation.
    ///
    /// Looks through stored properties and enum payloads (a few levels deep) for a `CancellationError`,
    /// so `MyError.underlying(CancellationError())` counts as cancellation.
    ///
    /// - Parameter error: Any error.
    /// - Returns: `true` for cancellation in any of the forms the library knows.
    public static func isCancellation(_ error: any Error) -> Bool {
        isCancellation(error, facts: ErrorTypeFacts.of(error))
    }

    private static func isCancellation(_ error: any Error, facts: ErrorTypeFacts) -> Bool {
        if isDirectCancellation(error, facts: facts) { return true }
        // The library's own leaf errors wrap nothing; skip reflecting on them.
        if facts.wrapsNoError { return false }
        return wrapsCancellation(Mirror(reflecting: error), depth: 1)
    }

    private static func isDirectCancellation(_ error: any Error, facts: ErrorTypeFacts) -> Bool {
        if facts.isCancellationError { return true }
        if facts.isPOSIXError, let error = error as? POSIXError { return error.code == .ECANCELED }
        switch facts.domain(of: error) {
        case .url: return error._code == URLErrorCode.cancelled
        case .posix: return error._code == Int(ECANCELED)
        case .other: return false
        }
    }

    /// Looks for a cancellation among `mirror`'s children that are errors, and inside tuples and
    /// optionals (enum payloads such as `.failed(code: Int, cause: any Error)`, properties such as
    /// `var underlying: (any Error)?`). Other values (strings, collections, durations) are not entered.
    private static func wrapsCancellation(_ mirror: Mirror, depth: Int) -> Bool {
        guard depth <= wrappingDepthLimit else { return false }
        for child in mirror.children.prefix(wrappingBreadthLimit) {
            if let inner = child.value as? any Error {
                let facts = ErrorTypeFacts.of(inner)
                if isDirectCancellation(inner, facts: facts) { return true }
                if !facts.wrapsNoError && wrapsCancellation(Mirror(reflecting: inner), depth: depth + 1) { return true }
                continue
            }
            let childMirror = Mirror(reflecting: child.value)
            switch childMirror.displayStyle {
            case .tuple, .optional, .enum:
                if wrapsCancellation(childMirror, depth: depth + 1) { return true }
            default:
                continue
            }
        }
        return false
    }

    // MARK: - POSIX

    private static func classifyPOSIX(code: Int32) -> ErrorClassification {
        switch code {
        case ETIMEDOUT:
            return .timeout
        case ECONNREFUSED, ECONNRESET, ECONNABORTED, EHOSTUNREACH, EHOSTDOWN, ENETUNREACH, ENETDOWN,
            ENETRESET, ENOTCONN, EPIPE, EADDRNOTAVAIL:
            return .connectionFailure
        case EIO, EAGAIN, EBUSY, EINTR, ENOBUFS, ENOMEM, EMFILE, ENFILE, EDEADLK, ETXTBSY, ENOLCK, ESTALE:
            return .ioFailure
        case ECANCELED:
            return .cancellation
        default:
            return .permanent
        }
    }

    // MARK: - URLError

    /// `URLError.Code` raw values, which Foundation documents as stable.
    private enum URLErrorCode {
        static let cancelled = -999
        static let backgroundSessionWasDisconnected = -997
        static let timedOut = -1001
        static let cannotFindHost = -1003
        static let cannotConnectToHost = -1004
        static let networkConnectionLost = -1005
        static let dnsLookupFailed = -1006
        static let notConnectedToInternet = -1009
        static let badServerResponse = -1011
        static let internationalRoamingOff = -1018
        static let callIsActive = -1019
        static let dataNotAllowed = -1020
        static let cannotLoadFromNetwork = -2000
    }

    private static func classifyURLError(code: Int) -> ErrorClassification {
        switch code {
        case URLErrorCode.cancelled:
            return .cancellation
        case URLErrorCode.timedOut:
            return .timeout
        case URLErrorCode.cannotFindHost, URLErrorCode.cannotConnectToHost, URLErrorCode.networkConnectionLost,
            URLErrorCode.dnsLookupFailed, URLErrorCode.notConnectedToInternet, URLErrorCode.internationalRoamingOff,
            URLErrorCode.callIsActive, URLErrorCode.dataNotAllowed, URLErrorCode.cannotLoadFromNetwork,
            URLErrorCode.backgroundSessionWasDisconnected:
            return .connectionFailure
        case URLErrorCode.badServerResponse:
            return .transient
        default:
            return .permanent
        }
    }
}
