/// The error domains the classifier recognises without importing Foundation.
///
/// ``ErrorTypeFacts`` caches a value type's domain; see there why.
enum ErrorDomain: Sendable {
    case posix, url, other

    private static let posixDomain = "NSPOSIXErrorDomain"
    private static let urlDomain = "NSURLErrorDomain"

    /// The domain named `domain` (an `Error._domain`).
    init(domain: String) {
        switch domain {
        case Self.posixDomain: self = .posix
        case Self.urlDomain: self = .url
        default: self = .other
        }
    }
}
