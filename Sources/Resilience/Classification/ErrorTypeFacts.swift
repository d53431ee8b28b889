import Synchronization

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

    /// The facts of every type seen so far, each in an entry that is never freed, so that
    /// ``lastSeen`` can point at one without owning it.
    private static let cache = AnnotatedMutex<[ObjectIdentifier: EntryAddress]>([:])

    /// The entry of the type looked up last: a retry loop fails with the same type again and again,
    /// and reading this costs one atomic load and a comparison where the dictionary costs a lock and
    /// a hash (a profile of the zero-delay failure path put them at a sixth of it).
    ///
    /// Safe without the lock because entries are immutable once published (with a releasing store,
    /// read with an acquiring load) and live as long as the process. Holds an ``EntryAddress``'s bit
    /// pattern, 0 before the first lookup.
    private static let lastSeen = Atomic<UInt>(0)

    /// A type and its facts, as published to ``lastSeen``.
    private struct Entry {
        let type: ObjectIdentifier
        let facts: ErrorTypeFacts
    }

    /// Where an ``Entry`` lives.
    // Safe to share: an entry is immutable once initialised and never freed.
    private struct EntryAddress: @unchecked Sendable {
        let pointer: UnsafePointer<Entry>
    }

    /// The facts of `error`'s dynamic type: from the cache, or worked out and cached.
    static func of(_ error: any Error) -> ErrorTypeFacts {
        let key = ObjectIdentifier(type(of: error))
        if let last = UnsafePointer<Entry>(bitPattern: lastSeen.load(ordering: .acquiring)), last.pointee.type == key {
            return last.pointee.facts
        }
        return lookUp(key, error)
    }

    /// The facts of `key`'s type from the dictionary, worked out and cached on its first error;
    /// publishes its entry as the last seen.
    private static func lookUp(_ key: ObjectIdentifier, _ error: any Error) -> ErrorTypeFacts {
        let entry: EntryAddress
        if let known = cache.withLock({ $0[key] }) {
            entry = known
        } else {
            // Worked out outside the lock: the casts may take the runtime's own locks.
            let facts = ErrorTypeFacts(examining: error)
            entry = cache.withLock { entries in
                if let raced = entries[key] { return raced }
                let made = UnsafeMutablePointer<Entry>.allocate(capacity: 1)
                made.initialize(to: Entry(type: key, facts: facts))
                let published = EntryAddress(pointer: UnsafePointer(made))
                entries[key] = published
                return published
            }
        }
        lastSeen.store(UInt(bitPattern: entry.pointer), ordering: .releasing)
        return entry.pointer.pointee.facts
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
