import CoreMetrics
import Foundation
import MetricsTestKit
import Resilience
import ResilienceMetrics
import ResilienceTestKit
import Synchronization

/// An error of a given category whose message carries what a dimension must never: an identifier
/// and a URL.
struct FlakyError: Error, ClassifiableError, CustomStringConvertible {
    var category: ErrorCategory

    var resilienceClassification: ErrorClassification { ErrorClassification(category) }
    var description: String { "request 7f3a-91c2 to https://ocr.example.com/v1/receipts/12345 failed (\(category))" }

    static let timeout = FlakyError(category: .timeout)
    static let permanent = FlakyError(category: .permanent)
}

/// This file's path, from which the repository's is found.
private let supportFile = #filePath

/// The path of a file of the ResilienceMetrics documentation catalog.
func documentationPath(_ file: String) -> String {
    var root = URL(fileURLWithPath: supportFile)
    for _ in 1...5 { root.deleteLastPathComponent() }  // the file, Support, ResilienceMetricsTests, Tests, Tools
    return root.appendingPathComponent("Sources/ResilienceMetrics/ResilienceMetrics.docc/\(file)").path
}

/// The type name of `FlakyError`, as a dimension carries it.
let flakyErrorType = String(reflecting: FlakyError.self)

/// One series a `TestMetrics` holds, rendered as `label{name=value,…}` with its dimensions in the
/// order they were given.
func seriesName(_ label: String, _ dimensions: [(String, String)]) -> String {
    "\(label){" + dimensions.map { "\($0)=\($1)" }.joined(separator: ",") + "}"
}

extension TestMetrics {
    /// Every counter as `label{…} total`, sorted.
    var counterSnapshot: [String] {
        counters.map { "\(seriesName($0.label, $0.dimensions)) \($0.totalValue)" }.sorted()
    }

    /// Every timer as `label{…} [values in nanoseconds]`, sorted.
    var timerSnapshot: [String] {
        timers.map { "\(seriesName($0.label, $0.dimensions)) \($0.values)" }.sorted()
    }

    /// Every gauge (non-aggregating recorder) as `label{…} last value`, sorted.
    var gaugeSnapshot: [String] {
        recorders.map { "\(seriesName($0.label, $0.dimensions)) \($0.lastValue.map { "\(Int($0))" } ?? "-")" }.sorted()
    }

    /// Every series of every type, as `(type, label, dimension names, dimension values)`.
    var allSeries: [(type: MetricsObserver.MetricType, label: String, dimensions: [(String, String)])] {
        counters.map { (.counter, $0.label, $0.dimensions) } + timers.map { (.timer, $0.label, $0.dimensions) }
            + recorders.map { (.gauge, $0.label, $0.dimensions) }
    }
}

/// A factory that forwards to another and counts what it is asked to make.
final class CountingFactory: MetricsFactory {
    let base: any MetricsFactory
    private let count = Mutex(0)

    init(_ base: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.base = base
    }

    /// The handlers made so far.
    var made: Int { count.withLock { $0 } }

    private func counted<Handler>(_ make: () -> Handler) -> Handler {
        count.withLock { $0 += 1 }
        return make()
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        counted { base.makeCounter(label: label, dimensions: dimensions) }
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        counted { base.makeFloatingPointCounter(label: label, dimensions: dimensions) }
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        counted { base.makeMeter(label: label, dimensions: dimensions) }
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        counted { base.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate) }
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        counted { base.makeTimer(label: label, dimensions: dimensions) }
    }

    func destroyCounter(_ handler: any CounterHandler) { base.destroyCounter(handler) }
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) { base.destroyFloatingPointCounter(handler) }
    func destroyMeter(_ handler: any MeterHandler) { base.destroyMeter(handler) }
    func destroyRecorder(_ handler: any RecorderHandler) { base.destroyRecorder(handler) }
    func destroyTimer(_ handler: any TimerHandler) { base.destroyTimer(handler) }
}

/// A retry policy with exact delays: `attempts` attempts, 1 s apart, retrying timeouts.
func exactPolicy(attempts: Int = 3) throws -> RetryPolicy {
    try RetryPolicy(maxAttempts: attempts, backoff: .constant(.seconds(1)), jitter: .none, retryableCategories: [.timeout])
}

/// Drives every metric the observer records, across `pipelines` pipelines with several strategies
/// each and a few strategies outside any pipeline, on virtual time.
func exerciseEveryMetric(with observer: MetricsObserver, pipelines: Int = 3) async throws {
    let clock = ManualClock(advancesAutomatically: true)
    for index in 1...pipelines {
        let name = "pipeline-\(index)"
        let breaker = CircuitBreaker(
            name: "\(name)-breaker", configuration: .consecutiveFailures(2, breakDuration: .seconds(30)), clock: clock)
        observer.recordState(of: breaker)
        let budget = try RetryBudget.tokenBucket(capacity: 1, retryCost: 1, successRefill: 0, name: "\(name)-budget")
        let pipeline = try ResiliencePipeline(name: name, observer: observer, clock: clock) {
            Fallback<Int>(name: "\(name)-fallback", handling: [.rejected]) { _ in -1 }
            Timeout(.seconds(60), name: "\(name)-timeout", clock: clock)
            Retry(try exactPolicy(), name: "\(name)-retry", clock: clock, budget: budget)
            breaker
        }
        _ = try await pipeline.execute { 1 }  // success at once
        let flaky = ScriptedOperation(failures: 1, with: FlakyError.timeout, thenReturning: 2)
        _ = try await pipeline.execute { try await flaky() }  // a retry (the budget's one token), then success
        _ = try? await pipeline.execute { () async throws -> Int in throw FlakyError.permanent }  // not retryable
        for _ in 1...2 {  // the budget refuses to retry; the second failure in a row opens the breaker
            _ = try? await pipeline.execute { () async throws -> Int in throw FlakyError.timeout }
        }
        _ = try await pipeline.execute { 3 }  // rejected by the open breaker: the fallback answers
        clock.advance(by: .seconds(30))
        _ = try await pipeline.execute { 4 }  // half-open probe, then closed
    }
    // Outside any pipeline: a time-out, and events of strategies this package does not have yet.
    let timeout = Timeout(.seconds(1), name: "standalone-timeout", clock: clock, observer: observer)
    let stalled = ManualClock()  // never advanced: the operation waits until the time-out cancels it
    _ = try? await timeout.execute { try await stalled.sleep(for: .seconds(5)) }
    observer.observe(.limitExceeded(strategy: "standalone-limiter", reason: .queueFull, retryAfter: nil))
    observer.observe(.limitExceeded(strategy: "standalone-limiter", reason: .rateExceeded, retryAfter: .milliseconds(250)))
    observer.observe(.hedgeStarted(strategy: "standalone-hedging", attempt: 2, delay: .milliseconds(50)))
    observer.observe(.faultInjected(strategy: "standalone-chaos", fault: "latency(2.0 s)"))
    observer.observe(.initialDelay(strategy: "standalone-delay", delay: .milliseconds(10)))
    // Attempts timed by their strategy (as the retry will once it times attempts).
    observer.observe(.attemptSucceeded(strategy: "standalone-retry", attempt: 1, duration: .milliseconds(250)))
    observer.observe(
        .attemptFailed(
            strategy: "standalone-retry", attempt: 1, error: FlakyError.timeout, classification: .timeout, duration: .seconds(2)))
}
