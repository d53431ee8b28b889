#if canImport(FoundationEssentials)
import struct FoundationEssentials.POSIXError
#elseif canImport(Foundation)
import struct Foundation.POSIXError
#endif

/// What ``ErrorClassifier`` needs to know about an error's dynamic type, worked out once per type.
///
/// Asking an `any Error` whether it is a `CancellationError`, a `POSIXError`, a ``TimeoutError`` or a
/// ``ClassifiableError`` takes a dynamic cast each, and the protocol cast a conformance lookup; a
/// profile of a failed attempt showed them costing a quarter of the retry loop's failure path. The
/// answers are fixed per type, so the first error of a type pays and later ones read a cache.
///
/// `Error._domain` is Foundation's error domain for `NSError`-bridged errors (`NSURLErrorDomain` for
/// `URLError`), but for other Swift errors it is the type's name, built anew on each call (an
/// allocation); a value type's domain is fixed per type and cached here too. Class instances
/// (`NSError`) carry their own domain, so theirs is read from each instance.
struct ErrorTypeFacts: Sendable {
    /// The type adopts ``ClassifiableError``.
    let isClassifiable: Bool
    /// The type is `CancellationError`.
    let isCancellationError: Bool
    /// The type is `POSIXError`.
    let isPOSIXError: Bool
    /// The type is ``TimeoutError``.
    let isTimeoutError: Bool
    /// The type is one of the library's errors that wrap no other error, so the search for a wrapped
    /// cancellation can skip it.
    let wrapsNoError: Bool
    /// The domain shared by every value of the type, or `nil` for a class, whose instances each say.
    let sharedDomain: ErrorDomain?

    /// The facts of every type seen so far.
    private static let cache = AnnotatedMutex<[ObjectIdentifier: ErrorTypeFacts]>([:])

    /// The facts of `error`'s dynamic type: from the cache, or worked out and cached.
    static func of(_ error: any Error) -> ErrorTypeFacts {
        let key = ObjectIdentifier(type(of: error))
        if let known = cache.withLock({ $0[key] }) { return known }
        let facts = ErrorTypeFacts(examining: error)
        cache.withLock { $0[key] = facts }
        return facts
    }

    private init(examining error: any Error) {
        isClassifiable = error is any ClassifiableError
        isCancellationError = error is CancellationError
        isPOSIXError = error is POSIXError
        isTimeoutError = error is TimeoutError
        wrapsNoError = isPOSIXError || isTimeoutError || error is CircuitOpenError
        sharedDomain = type(of: error) is AnyObject.Type ? nil : ErrorDomain(domain: error._domain)
    }

    /// The domain of `error`, whose facts these are.
    func domain(of error: any Error) -> ErrorDomain {
        sharedDomain ?? ErrorDomain(domain: error._domain)
    }
}
