import HTTPTypes
import Resilience
import ResilienceHTTP
import ResilienceTestKit
import Testing

@Suite("Classifying HTTP responses")
struct HTTPResponseClassifierTests {
    let classifier = HTTPResponseClassifier(wallClock: fixedNow)

    @Test("1xx, 2xx and 3xx are successes", arguments: [100, 101, 103, 200, 201, 202, 204, 206, 299, 300, 301, 302, 304, 307, 308, 399])
    func successes(code: Int) {
        #expect(classifier.classify(response(code)) == nil)
    }

    @Test("408 and 5xx but a few are transient", arguments: [408, 500, 502, 504, 507, 509, 520, 521, 522, 523, 524, 599])
    func transient(code: Int) {
        #expect(classifier.classify(response(code)) == .transient)
    }

    @Test("429 is rate-limited, with its hint or without", arguments: [nil, "20"] as [String?])
    func tooManyRequests(retryAfter: String?) {
        let fields = retryAfter.map { [("Retry-After", $0)] } ?? []
        #expect(classifier.classify(response(429, fields)) == .rateLimited(retryAfter: retryAfter.map { _ in .seconds(20) }))
    }

    @Test("503 without a hint is transient; with one, rate-limited with it")
    func serviceUnavailable() {
        #expect(classifier.classify(response(503)) == .transient)
        #expect(classifier.classify(response(503, [("Retry-After", "30")])) == .rateLimited(retryAfter: .seconds(30)))
        #expect(classifier.classify(response(503, [("retry-after-ms", "250")])) == .rateLimited(retryAfter: .milliseconds(250)))
        #expect(
            classifier.classify(response(503, [("Retry-After", "Tue, 14 Jul 2026 12:02:00 GMT")]))
                == .rateLimited(retryAfter: .seconds(120))
        )
        // An invalid hint is no hint.
        #expect(classifier.classify(response(503, [("Retry-After", "soon")])) == .transient)
    }

    @Test("Other transient statuses keep their category and take the hint as their wait")
    func transientWithHint() {
        #expect(classifier.classify(response(500, [("Retry-After", "4")])) == ErrorClassification(.transient, retryAfter: .seconds(4)))
        #expect(
            classifier.classify(response(408, [("retry-after-ms", "100")]))
                == ErrorClassification(.transient, retryAfter: .milliseconds(100)))
    }

    @Test(
        "Other 4xx, and 501, 505, 506, 508, 510, 511, are permanent",
        arguments: [400, 401, 403, 404, 405, 409, 410, 413, 418, 422, 425, 431, 451, 499, 501, 505, 506, 508, 510, 511]
    )
    func permanent(code: Int) {
        #expect(classifier.classify(response(code)) == .permanent)
        // A permanent failure is not retried: no hint is attached.
        #expect(classifier.classify(response(code, [("Retry-After", "5")])) == .permanent)
    }

    @Test("Statuses outside 100...599 are permanent", arguments: [0, 1, 99, 600, 777, 999])
    func outOfRange(code: Int) {
        #expect(classifier.classify(response(code)) == .permanent)
    }

    @Test("The built-in table by status and hint")
    func builtInTable() {
        let hint = HTTPDelayHint(delay: .seconds(3), source: .retryAfterSeconds)
        #expect(HTTPResponseClassifier.builtInClassification(of: .ok, hint: hint) == nil)
        #expect(HTTPResponseClassifier.builtInClassification(of: .serviceUnavailable, hint: nil) == .transient)
        #expect(HTTPResponseClassifier.builtInClassification(of: .serviceUnavailable, hint: hint) == .rateLimited(retryAfter: .seconds(3)))
        #expect(HTTPResponseClassifier.builtInClassification(of: .tooManyRequests, hint: nil) == .rateLimited())
        #expect(HTTPResponseClassifier.builtInClassification(of: .notFound, hint: hint) == .permanent)
    }

    // MARK: - Rules

    @Test("A rule overrides the table, most recently added first; nil passes")
    func rulesOverride() {
        let custom =
            classifier
            .addingRule { $0.status.code == 529 ? .failure(.rateLimited()) : nil }
            .addingRule { $0.status == .notFound ? .success : nil }
            .addingRule { $0.status.code == 529 ? .failure(.transient) : nil }
        #expect(custom.classify(response(404)) == nil)
        #expect(custom.classify(response(529)) == .transient)
        #expect(custom.classify(response(503)) == .transient)
        #expect(custom.classify(response(200)) == nil)
        #expect(custom.rules.count == 3)
    }

    @Test("A rule's failure without a wait gets the response's hint; one with its own wait keeps it")
    func rulesGetHints() {
        let custom =
            classifier
            .addingRule { $0.status == .conflict ? .failure(.transient) : nil }
            .addingRule { $0.status.code == 529 ? .failure(.rateLimited(retryAfter: .seconds(1))) : nil }
        #expect(custom.classify(response(409, [("Retry-After", "7")])) == ErrorClassification(.transient, retryAfter: .seconds(7)))
        #expect(custom.classify(response(529, [("Retry-After", "7")])) == .rateLimited(retryAfter: .seconds(1)))
    }

    @Test("A rule can make a success of a failing status and a failure of a success")
    func rulesBothWays() {
        let custom =
            classifier
            .addingRule { $0.status == .ok && $0.headerFields[.contentLength] == "0" ? .failure(.transient) : nil }
            .addingRule { $0.status == .serviceUnavailable ? .success : nil }
        #expect(custom.classify(response(200, [("Content-Length", "0")])) == .transient)
        #expect(custom.classify(response(200, [("Content-Length", "10")])) == nil)
        #expect(custom.classify(response(503, [("Retry-After", "5")])) == nil)
    }

    @Test("HTTPResponseClassification says success or failure")
    func verdicts() {
        #expect(HTTPResponseClassification.success.isSuccess)
        #expect(HTTPResponseClassification.failure(.transient).failure == .transient)
        #expect(!HTTPResponseClassification.failure(.permanent).isSuccess)
        #expect(HTTPResponseClassification.success.description == "success")
    }

    // MARK: - In the core's result classification

    @Test("Retry.classifyingResults with the classifier retries a 503 and returns the 200")
    func coreRetry() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let operation = script(response(503), response(429, [("Retry-After", "3")]), response(200))
        let retry = Retry(try plainPolicy(), clock: clock)
            .classifyingResults { (response: HTTPResponse) in HTTPResponseClassifier(wallClock: fixedNow).classify(response) }
        let result = try await retry.execute { try await operation() }
        #expect(result.status == .ok)
        #expect(clock.requestedSleeps == [.seconds(1), .seconds(3)])
    }

    @Test("classifyingHTTPResponses makes a breaker count 5xx responses as failures")
    func coreBreaker() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let breaker = CircuitBreaker(name: "api", configuration: .consecutiveFailures(2, breakDuration: .seconds(10)), clock: clock)
        let strategy = breaker.classifyingHTTPResponses(classifier)
        for _ in 0..<2 {
            let returned = try await strategy.execute { response(502) }
            #expect(returned.status == .badGateway)
        }
        #expect(breaker.state == .open)
        await #expect(throws: CircuitOpenError.self) { try await strategy.execute { response(200) } }
    }

    @Test("classifyingHTTPResponses reads the head of a response with a body")
    func responsesWithBodies() async throws {
        struct Full: Sendable {
            var head: HTTPResponse
            var body: String
        }
        let clock = ManualClock(advancesAutomatically: true)
        let operation = ScriptedOperation<Full>([
            .succeed(Full(head: response(500), body: "oops")), .succeed(Full(head: response(200), body: "ok")),
        ])
        let retry = Retry(try plainPolicy(), clock: clock).classifyingHTTPResponses(classifier, responseHead: { (full: Full) in full.head })
        let full = try await retry.execute { try await operation() }
        #expect(full.body == "ok")
        #expect(operation.callCount == 2)
    }
}
