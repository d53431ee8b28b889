import HTTPTypes
import Resilience
import ResilienceHTTP
import ResilienceTestKit

/// 2026-07-14 12:00:00 UTC (a Tuesday), the fixed "now" of these tests, in nanoseconds since the epoch.
let tuesdayNoon: Int64 = 1_784_030_400 * 1_000_000_000

/// A wall clock stopped at ``tuesdayNoon``.
let fixedNow = WallClock.fixed(unixNanoseconds: tuesdayNoon)

/// A response of `code` with `fields`.
func response(_ code: Int, _ fields: [(String, String)] = []) -> HTTPResponse {
    var headerFields = HTTPFields()
    for (name, value) in fields {
        if let name = HTTPField.Name(name) { headerFields.append(HTTPField(name: name, value: value)) }
    }
    return HTTPResponse(status: HTTPResponse.Status(code: code), headerFields: headerFields)
}

/// A request of `method` to `https://api.example.com/v1`, with `fields`.
func request(_ method: HTTPRequest.Method = .get, authority: String = "api.example.com", fields: [(String, String)] = []) -> HTTPRequest {
    var headerFields = HTTPFields()
    for (name, value) in fields {
        if let name = HTTPField.Name(name) { headerFields.append(HTTPField(name: name, value: value)) }
    }
    return HTTPRequest(method: method, scheme: "https", authority: authority, path: "/v1", headerFields: headerFields)
}

/// A policy without jitter: 4 attempts, 1 s doubling to 60 s, retrying transient failures and rate limits.
func plainPolicy(maxAttempts: Int = 4, maxDelay: Duration = .seconds(60), maxElapsedTime: Duration? = nil) throws -> RetryPolicy {
    try RetryPolicy(
        maxAttempts: maxAttempts,
        backoff: .exponential(initial: .seconds(1), multiplier: 2, maxDelay: maxDelay),
        jitter: .none,
        maxElapsedTime: maxElapsedTime,
        retryableCategories: ErrorCategory.allTransient.union([.rateLimited])
    )
}

/// A scripted sequence of responses, counting the requests sent.
func script(_ responses: HTTPResponse...) -> ScriptedOperation<HTTPResponse> {
    ScriptedOperation(responses.map { .succeed($0) })
}

/// An error the tests throw, of a given classification.
struct ClassifiedError: Error, ClassifiableError, Equatable {
    var name: String
    var category: ErrorCategory

    var resilienceClassification: ErrorClassification { ErrorClassification(category) }
}
