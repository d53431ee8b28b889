import Logging
import Resilience
import ResilienceTestKit
import Testing

/// The README's examples, copied here verbatim (with stand-in services) and compiled and run, so that an API
/// change that breaks one fails here; keep the two in step when editing either.
@Suite("README examples")
struct ReadmeExamplesTests {
    struct Response: Sendable { var status: Int }
    enum Analysis: Sendable, Equatable { case done, skipped }

    struct Service: Sendable {
        func fetch(_ url: String) async throws -> String { "data" }
        func extract(_ id: String) async throws -> String { "text of \(id)" }
        func get(_ url: String) async throws -> Response { Response(status: 200) }
        func analyze(_ id: String) async throws -> Analysis { .done }
    }

    struct LLMError: Error, ClassifiableError {
        var status: Int
        var retryAfter: Duration?

        var resilienceClassification: ErrorClassification {
            switch status {
            case 429: .rateLimited(retryAfter: retryAfter)
            case 500, 502, 503, 504: .transient
            default: .permanent
            }
        }
    }

    let client = Service()
    let ocr = Service()
    let http = Service()
    let logger = Logger(label: "readme")
    let url = "https://api.example.com/data"
    let receiptID = "r-1"

    @Test("the quick start compiles and runs")
    func quickStart() async throws {
        let data = try await retry(.default) {
            try await client.fetch(url)
        }
        let policy = try RetryPolicy(
            maxAttempts: 5,
            backoff: .exponential(initial: .milliseconds(500), multiplier: 2, maxDelay: .seconds(30)),
            jitter: .full,
            maxElapsedTime: .seconds(60),
            retryableCategories: ErrorCategory.allTransient.union([.rateLimited]),
            backoffByCategory: [.rateLimited: .exponential(initial: .seconds(4), multiplier: 2, maxDelay: .seconds(32))]
        )
        let ocrRetry = Retry(policy, name: "ocr", observer: LoggingObserver(logger: logger))
        let text = try await ocrRetry.execute { try await ocr.extract(receiptID) }
        let response = try await retry(.rateLimit, retryingWhen: { [429, 500, 502, 503, 504].contains($0.status) }) {
            try await http.get(url)
        }
        #expect(data == "data" && text == "text of r-1" && response.status == 200)
        #expect(LLMError(status: 429, retryAfter: .seconds(3)).resilienceClassification == .rateLimited(retryAfter: .seconds(3)))
    }

    @Test("the test-kit example compiles and runs")
    func testKit() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let flaky = ScriptedOperation(failures: 2, with: TimeoutError(timeout: .seconds(5)), thenReturning: "success")
        let result = try await retry(.default, clock: clock, random: .seeded(42)) { try await flaky() }
        #expect(result == "success" && flaky.callCount == 3)
        #expect(clock.requestedSleeps == [.nanoseconds(1_370_782_439), .nanoseconds(2_159_910_392)])
    }

    @Test("the circuit breaker example compiles and runs")
    func circuitBreaker() async throws {
        let localOCR = Service()
        let ocrBreaker = CircuitBreaker(
            name: "ocr",
            configuration: try CircuitBreakerConfiguration(
                consecutiveFailureThreshold: 5,
                failureRateThreshold: 0.5, slidingWindow: .count(50), minimumThroughput: 20,
                breakDuration: .exponential(initial: .seconds(30), multiplier: 2, maxDelay: .seconds(300))
            ),
            observer: LoggingObserver(logger: logger)
        )
        ocrBreaker.isolate()
        var text: String
        do {
            text = try await ocrBreaker.execute { try await ocr.extract(receiptID) }
        } catch let open as CircuitOpenError {
            logger.info("OCR is down for another \(open.retryAfter ?? .zero)")
            text = try await localOCR.extract(receiptID)
        }
        #expect(text == "text of r-1")
    }

    @Test("the receipt pipeline example compiles and runs")
    func pipelines() async throws {
        let localOCR = Service()
        let ocrService = Service()
        let visionService = Service()
        let receiptID = self.receiptID
        let ocrBreaker = CircuitBreaker(name: "ocr")
        let visionBreaker = CircuitBreaker(name: "vision")
        let ocrBudget = try RetryBudget.ratio(0.1, window: .seconds(10))

        let ocr = try ResiliencePipeline(name: "ocr", observer: LoggingObserver(logger: logger)) {
            Fallback<String>(name: "local-ocr") { _ in try await localOCR.extract(receiptID) }
            try Timeout(.seconds(30))
            Retry(.aggressive, budget: ocrBudget)
            ocrBreaker
            try Timeout(.seconds(5))
        }
        let text = try await ocr.execute { try await ocrService.extract(receiptID) }

        let vision = ResiliencePipeline(name: "vision") {
            Fallback(returning: Analysis.skipped)
            Retry(.rateLimit)
            visionBreaker
        }
        visionBreaker.isolate()
        let analysis = try await vision.execute { try await visionService.analyze(receiptID) }
        #expect(text == "text of r-1")
        #expect(analysis == .skipped)
        #expect(
            ocr.description.hasPrefix("ocr: fallback(local-ocr) → timeout(30.0 s) → retry(")
                && ocr.description.hasSuffix("→ circuit-breaker(ocr) → timeout(5.0 s)")
        )
    }
}
