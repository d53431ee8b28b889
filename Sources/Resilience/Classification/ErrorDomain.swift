/// The error domains the classifier recognises without importing Foundation.
///
/// `Error._domain` is Foundation's error domain for `NSError`-bridged errors (`NSURLErrorDomain` for
/// `URLError`), but for other Swift errors it is the type's name, built anew on each call (an
/// allocation). Since a value type's domain is fixed per type, this caches the answer by type; class
/// instances (`NSError`) carry their own domain and are asked directly.
enum ErrorDomain: Sendable {
    case posix, url, other

    private static let posixDomain = "NSPOSIXErrorDomain"
    private static let urlDomain = "NSURLErrorDomain"
    /// The domain of each value type seen so far.
    private static let cache = AnnotatedMutex<[ObjectIdentifier: ErrorDomain]>([:])

    init(of error: any Error) {
        let type = type(of: error)
        if type is AnyObject.Type {
            self.init(domain: error._domain)
            return
        }
        let key = ObjectIdentifier(type)
        if let known = Self.cache.withLock({ $0[key] }) {
            self = known
            return
        }
        self.init(domain: error._domain)
        Self.cache.withLock { $0[key] = self }
    }

    private init(domain: String) {
        switch domain {
        case Self.posixDomain: self = .posix
        case Self.urlDomain: self = .url
        default: self = .other
        }
    }
}
