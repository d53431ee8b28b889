import Foundation
import Resilience
import Testing

@Suite("Error classification")
struct ErrorClassifierTests {
    let classifier = ErrorClassifier.default

    @Test(
        "POSIX network, timeout and I/O codes map to their categories",
        arguments: [
            (POSIXErrorCode.ETIMEDOUT, ErrorCategory.timeout),
            (.ECONNREFUSED, .connectionFailure),
            (.ECONNRESET, .connectionFailure),
            (.ECONNABORTED, .connectionFailure),
            (.EHOSTUNREACH, .connectionFailure),
            (.ENETUNREACH, .connectionFailure),
            (.ENETDOWN, .connectionFailure),
            (.EPIPE, .connectionFailure),
            (.EIO, .ioFailure),
            (.EAGAIN, .ioFailure),
            (.EBUSY, .ioFailure),
            (.EINTR, .ioFailure),
            (.EMFILE, .ioFailure),
            (.ENOENT, .permanent),
            (.EACCES, .permanent),
            (.EINVAL, .permanent),
            (.ECANCELED, .cancellation),
        ]
    )
    func posix(code: POSIXErrorCode, category: ErrorCategory) {
        #expect(classifier.classify(POSIXError(code)).category == category)
    }

    @Test(
        "URLError network codes map to their categories",
        arguments: [
            (URLError.Code.timedOut, ErrorCategory.timeout),
            (.cannotFindHost, .connectionFailure),
            (.cannotConnectToHost, .connectionFailure),
            (.networkConnectionLost, .connectionFailure),
            (.dnsLookupFailed, .connectionFailure),
            (.notConnectedToInternet, .connectionFailure),
            (.badServerResponse, .transient),
            (.badURL, .permanent),
            (.userAuthenticationRequired, .permanent),
            (.cancelled, .cancellation),
        ]
    )
    func urlError(code: URLError.Code, category: ErrorCategory) {
        #expect(classifier.classify(URLError(code)).category == category)
    }

    @Test("NSErrors are classified by each one's own domain and code, though they share a type")
    func nsErrorsByDomain() {
        // The classifier learns what it can of an error's type once; an NSError's domain belongs to
        // the instance, so errors of one class in turn must each be read afresh.
        let errors: [(NSError, ErrorCategory)] = [
            (NSError(domain: NSPOSIXErrorDomain, code: Int(POSIXErrorCode.ETIMEDOUT.rawValue)), .timeout),
            (NSError(domain: NSURLErrorDomain, code: URLError.Code.cannotConnectToHost.rawValue), .connectionFailure),
            (NSError(domain: "com.example.vision", code: 7), .permanent),
            (NSError(domain: NSPOSIXErrorDomain, code: Int(POSIXErrorCode.ECONNRESET.rawValue)), .connectionFailure),
            (NSError(domain: NSURLErrorDomain, code: URLError.Code.cancelled.rawValue), .cancellation),
        ]
        for (error, category) in errors {
            #expect(classifier.classify(error).category == category, "\(error.domain) \(error.code)")
        }
    }

    @Test("the library's own timeout error is a timeout")
    func libraryTimeout() {
        #expect(classifier.classify(TimeoutError(timeout: .seconds(5))) == .timeout)
    }

    @Test("errors adopting ClassifiableError classify themselves, with their retry-after hint")
    func classifiable() {
        #expect(classifier.classify(CategorizedError.rateLimited(retryAfter: .seconds(20))) == .rateLimited(retryAfter: .seconds(20)))
        #expect(classifier.classify(CategorizedError.permanent).category == .permanent)
    }

    @Test("unknown errors fall back to permanent, or to the chosen fallback")
    func fallback() {
        #expect(classifier.classify(UnknownError()).category == .permanent)
        #expect(ErrorClassifier(fallback: .transient).classify(UnknownError()).category == .transient)
    }

    @Test("user rules come first, the latest added first, and pass with nil")
    func rules() {
        let custom = ErrorClassifier.default
            .addingRule { $0 is UnknownError ? .transient : nil }
            .addingRule { ($0 as? POSIXError)?.code == .ENOENT ? .transient : nil }
            .addingRule { ($0 as? POSIXError)?.code == .ENOENT ? .rateLimited() : nil }
        #expect(custom.classify(UnknownError()).category == .transient)
        #expect(custom.classify(POSIXError(.ENOENT)).category == .rateLimited)
        #expect(custom.classify(POSIXError(.ETIMEDOUT)).category == .timeout)
    }

    @Test("CancellationError is cancellation, even wrapped, and no rule can say otherwise")
    func cancellation() {
        enum Wrapper: Error {
            case underlying(any Error)
            case pair(code: Int, cause: any Error)
        }
        struct Outer: Error { var inner: Wrapper }
        let everythingIsTransient = ErrorClassifier.default.addingRule { _ in .transient }
        for error: any Error in [
            CancellationError(),
            Wrapper.underlying(CancellationError()),
            Wrapper.pair(code: 7, cause: CancellationError()),
            Outer(inner: .underlying(CancellationError())),
            URLError(.cancelled),
            POSIXError(.ECANCELED),
        ] {
            #expect(everythingIsTransient.classify(error) == .cancellation, "\(error)")
            #expect(ErrorClassifier.isCancellation(error))
        }
        #expect(!ErrorClassifier.isCancellation(Wrapper.underlying(UnknownError())))
        #expect(everythingIsTransient.classify(Wrapper.underlying(UnknownError())) == .transient)
    }

    @Test("transient categories are exactly timeout, connection, I/O and other transient failures")
    func transientGroup() {
        #expect(ErrorCategory.allCases.filter(\.isTransient) == [.timeout, .connectionFailure, .ioFailure, .transient])
        #expect(Set(ErrorCategory.allCases.filter(\.isTransient)) == ErrorCategory.allTransient)
    }

    @Test("a negative retry-after hint counts as zero")
    func negativeHint() {
        #expect(ErrorClassification.rateLimited(retryAfter: .seconds(-3)).retryAfter == .zero)
    }
}
