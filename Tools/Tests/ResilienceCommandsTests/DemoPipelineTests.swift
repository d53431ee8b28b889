import AsyncHTTPClient
import FaultServer
import Logging
import NIOPosix
import Resilience
import ResilienceTestKit
import Testing

@testable import ResilienceCommands
@testable import ResilienceDemo

/// The demo's receipt pipeline on virtual time (a manual clock that advances to each sleep's
/// deadline at once), against the scripted fault services on loopback.
@Suite("Demo receipt pipeline")
struct DemoPipelineTests {
    /// The demo's settings without attempt time-outs: on a clock that advances by itself, a time-out's
    /// timer would end every attempt at once.
    private static func settings(
        receipts: Int, concurrency: Int, seed: UInt64 = 42, attemptTimeout: Duration? = nil
    ) -> DemoSettings {
        DemoSettings(
            receipts: receipts, concurrency: concurrency, seed: seed, timeScale: 1, ocrURL: nil, visionURL: nil, json: true,
            metricsPort: nil, serveOnly: false, attemptTimeout: attemptTimeout
        )
    }

    /// Runs `body` with the demo's pipeline on `clock` against an OCR and a vision fault server.
    private func withPipeline<Result>(
        _ settings: DemoSettings,
        ocr: FaultScript,
        vision: FaultScript,
        clock: ManualClock,
        _ body: (ReceiptPipeline<ManualClock>, DemoObserver) async throws -> Result
    ) async throws -> Result {
        try await withPipeline(settings, ocr: ocr, vision: vision, clock: clock) { pipeline, observer, _ in
            try await body(pipeline, observer)
        }
    }

    /// As above, the body also given the OCR fault server (to wait for what it has received).
    private func withPipeline<Result>(
        _ settings: DemoSettings,
        ocr: FaultScript,
        vision: FaultScript,
        clock: ManualClock,
        _ body: (ReceiptPipeline<ManualClock>, DemoObserver, _ ocrServer: FaultServer) async throws -> Result
    ) async throws -> Result {
        // Quiet: a response still held when a server stops ends with an error line otherwise.
        var logger = Logger(label: "demo-tests")
        logger.logLevel = .critical
        let ocrServer = try await FaultServer.start(otherwise: ocr, clock: clock, logger: logger)
        let visionServer = try await FaultServer.start(otherwise: vision, clock: clock, logger: logger)
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        let observer = DemoObserver(statistics: ResilienceStatistics(), elapsed: { clock.now.offset })
        let pipeline = Demo.makePipeline(
            settings, clock: clock, client: client, ocrURL: ocrServer.url("/ocr"), visionURL: visionServer.url("/vision"),
            observer: observer
        )
        do {
            let result = try await body(pipeline, observer, ocrServer)
            try await client.shutdown()
            await ocrServer.stop()
            await visionServer.stop()
            return result
        } catch {
            try? await client.shutdown()
            await ocrServer.stop()
            await visionServer.stop()
            throw error
        }
    }

    private static func plan(_ settings: DemoSettings) -> FaultScript {
        let plan = settings.plan
        return .computed { path, index in plan.step(path: path, index: index) }
    }

    @Test("a 503 then a 200 from OCR: the receipt is processed on its second OCR attempt, after the aggressive policy's wait")
    func retried() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let result = try await withPipeline(
            Self.settings(receipts: 1, concurrency: 1),
            ocr: FaultScript([.respond(503)], then: DemoFaultPlan.success(.ocr, receipt: 0)),
            vision: FaultScript([], then: DemoFaultPlan.success(.vision, receipt: 0)), clock: clock
        ) { pipeline, _ in await pipeline.process(0) }
        #expect(result.outcome == .processed)
        #expect(result.ocrAttempts == 2)
        #expect(result.visionAttempts == 1)
        #expect(result.text == "RECEIPT 0\nTOTAL \(DemoFaultPlan.total(0))")
        #expect(result.analysis == "grocery")
        // RetryPolicy.aggressive's first wait: 500 ms, ±50 % jitter.
        #expect(clock.now.offset >= .milliseconds(250) && clock.now.offset <= .milliseconds(750))
    }

    @Test(
        "an OCR response slower than the 10 s attempt time-out is cut at 10 s and retried after the policy's wait",
        .timeLimit(.minutes(1))
    )
    func attemptTimeout() async throws {
        let clock = ManualClock()
        let result = try await withPipeline(
            Self.settings(receipts: 1, concurrency: 1, attemptTimeout: .seconds(10)),
            ocr: FaultScript([.hold], then: DemoFaultPlan.success(.ocr, receipt: 0)),
            vision: FaultScript([], then: DemoFaultPlan.success(.vision, receipt: 0)), clock: clock
        ) { pipeline, _, ocrServer in
            let receipt = Task { await pipeline.process(0) }
            await clock.waitForSleepers(count: 1)  // the first attempt's time-out
            // The time-out fires once the request is on the server, as a 10 s one does. Fired at once, it
            // once hung this test on a loaded host (suspected, not confirmed: the cancellation lost while
            // AsyncHTTPClient was still connecting; the note of that stop has the details).
            await ocrServer.waitUntil { $0.held == 1 }
            clock.advance(by: .seconds(10))
            await clock.waitForSleepers(count: 1)  // the retry's wait
            let wait = try #require(clock.advanceToNextDeadline())
            #expect(wait.offset >= .milliseconds(10_250) && wait.offset <= .milliseconds(10_750))
            return await receipt.value
        }
        #expect(result.outcome == .processed)
        #expect(result.ocrAttempts == 2)
        #expect(result.faults == ["ocr #1: timeout"])
    }

    @Test("vision's 429 with Retry-After: 2 is honoured: the retry waits at least 2 s")
    func retryAfter() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let result = try await withPipeline(
            Self.settings(receipts: 1, concurrency: 1),
            ocr: FaultScript([], then: DemoFaultPlan.success(.ocr, receipt: 0)),
            vision: FaultScript([.retryAfter(429, seconds: 2)], then: DemoFaultPlan.success(.vision, receipt: 0)), clock: clock
        ) { pipeline, _ in await pipeline.process(0) }
        #expect(result.outcome == .processed)
        #expect(result.visionAttempts == 2)
        #expect(clock.now.offset >= .seconds(2))
    }

    @Test("vision down for good: the analysis is skipped and the receipt processed with a fallback")
    func visionFallback() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let result = try await withPipeline(
            Self.settings(receipts: 1, concurrency: 1),
            ocr: FaultScript([], then: DemoFaultPlan.success(.ocr, receipt: 0)),
            vision: FaultScript([], then: .respond(503)), clock: clock
        ) { pipeline, _ in await pipeline.process(0) }
        #expect(result.outcome == .processedWithFallback)
        #expect(result.analysis == "skipped")
        #expect(result.analysisSource == .fallback)
        // The breaker opens after 3 failures in a row; the 4th and 5th attempts wait for it to half-open
        // (120 s each) rather than being refused, so all of RetryPolicy.rateLimit's 5 reach the service.
        #expect(result.visionAttempts == 5)
        #expect(clock.now.offset >= .seconds(240))
        #expect(result.error?.contains("vision") == true)
    }

    @Test("a receipt OCR refuses for good (422) fails with its error; the batch goes on with the others")
    func permanentFailure() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let settings = Self.settings(receipts: 3, concurrency: 2)
        let ocr = FaultScript.computed { path, _ in
            path == "/ocr/receipts/1" ? .respond(422, body: "not a receipt") : DemoFaultPlan.success(.ocr, receipt: 0)
        }
        let results = try await withPipeline(
            settings, ocr: ocr, vision: FaultScript([], then: DemoFaultPlan.success(.vision, receipt: 0)), clock: clock
        ) { pipeline, _ in
            await ReceiptBatch(receipts: 3, concurrency: 2).run { await pipeline.process($0) }
        }
        #expect(results.map(\.outcome) == [.processed, .failed, .processed])
        #expect(results[1].error?.contains("422") == true)
        #expect(results[1].ocrAttempts == 1)
    }

    @Test(
        "the demo's fault plan: the outage's receipts fall back to local OCR, every other is processed, and the OCR breaker opens, half-opens and closes",
        arguments: [(1, UInt64(42)), (2, 42), (4, 42), (4, 7)]
    )
    func plan(concurrency: Int, seed: UInt64) async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let settings = Self.settings(receipts: 30, concurrency: concurrency, seed: seed)
        let (results, transitions) = try await withPipeline(
            settings, ocr: Self.plan(settings), vision: Self.plan(settings), clock: clock
        ) { pipeline, observer in
            (await ReceiptBatch(receipts: 30, concurrency: concurrency).run { await pipeline.process($0) }, observer.recordedTransitions)
        }
        #expect(ReceiptOutcomeCounts(results) == settings.plan.expectedOutcomes)
        let fellBack = Set(results.filter { $0.outcome == .processedWithFallback }.map(\.receipt))
        #expect(fellBack == Set(settings.plan.outage))
        #expect(results.allSatisfy { $0.outcome == .processed ? $0.textSource == .service : $0.textSource == .fallback })
        let ocr = transitions.filter { $0.breaker == "ocr-breaker" }.map { "\($0.from)->\($0.to)" }
        #expect(ocr.first == "closed->open")
        #expect(ocr.contains("open->halfOpen"))
        #expect(ocr.last == "halfOpen->closed")
        #expect(transitions.allSatisfy { $0.breaker == "ocr-breaker" }, "the vision breaker never trips on the plan's faults")
    }
}
