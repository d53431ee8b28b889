import AsyncHTTPClient
import Foundation
import Metrics
import NIOPosix
import Prometheus
import Resilience
import ResilienceCommands
import ResilienceMetrics

/// `resilience demo`: the guide's receipt batch, end to end over real HTTP.
package enum Demo {
    /// Runs the demo `settings` describe, until its batch ends (and, with a metrics port or
    /// `--serve`, until the task is cancelled: the command cancels it on SIGINT).
    ///
    /// - Parameter settings: What to run.
    /// - Returns: The exit status: 0 when every receipt ended processed or with a fallback, else 1.
    /// - Throws: The error that kept a server from starting.
    package static func run(_ settings: DemoSettings) async throws -> Int32 {
        let clock = ScaledClock(scale: settings.timeScale)
        let needsServices = settings.serveOnly || settings.ocrURL == nil || settings.visionURL == nil
        let services = needsServices ? try await DemoFaultServices.start(plan: settings.plan, clock: clock) : nil
        if settings.serveOnly, let services {
            print("ocr: \(services.ocrURL)  (receipt N: POST \(services.ocrURL)/receipts/N)")
            print("vision: \(services.visionURL)  (receipt N: POST \(services.visionURL)/receipts/N)")
            print(
                "fault plan: seed \(settings.seed), OCR outage for receipts \(Self.range(settings.plan.outage)), time x\(settings.timeScale); Ctrl-C stops"
            )
            fflush(nil)
            await waitUntilCancelled()
            await services.stop()
            return 0
        }
        var metrics: (registry: PrometheusCollectorRegistry, endpoint: MetricsEndpoint)?
        if let port = settings.metricsPort {
            let registry = PrometheusCollectorRegistry()
            do {
                let endpoint = try await MetricsEndpoint.start(registry: registry, port: port)
                metrics = (registry, endpoint)
                FileHandle.standardError.write(Data("resilience: metrics at \(endpoint.url)\n".utf8))
            } catch {
                await services?.stop()
                throw error
            }
        }
        let report = await runBatch(settings, clock: clock, services: services, registry: metrics?.registry)
        if metrics != nil {
            FileHandle.standardError.write(Data("resilience: batch done; serving metrics until interrupted\n".utf8))
            await waitUntilCancelled()
        }
        await metrics?.endpoint.stop()
        await services?.stop()
        return report.succeeded ? 0 : 1
    }

    /// Runs the batch and prints its results; returns them.
    static func runBatch(
        _ settings: DemoSettings, clock: ScaledClock, services: DemoFaultServices?, registry: PrometheusCollectorRegistry?
    ) async -> DemoReport {
        let progress = DemoProgress(style: DemoProgress.style(json: settings.json), total: settings.receipts)
        let statistics = ResilienceStatistics()
        let start = clock.now
        let others: [any ResilienceObserver] = registry.map { [MetricsObserver(factory: PrometheusMetricsFactory(registry: $0))] } ?? []
        let observer = DemoObserver(
            statistics: statistics, others: others, elapsed: { start.duration(to: clock.now) },
            onTransition: { progress.transition($0) }
        )
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(settings.concurrency, 1)
        // Let the strategies see a refused connection at once, and count it.
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        let ocrURL = settings.ocrURL ?? services?.ocrURL ?? ""
        let visionURL = settings.visionURL ?? services?.visionURL ?? ""
        let pipeline = makePipeline(settings, clock: clock, client: client, ocrURL: ocrURL, visionURL: visionURL, observer: observer)
        statistics.register(pipeline.ocr.breaker)
        statistics.register(pipeline.vision.breaker)
        let began = ContinuousClock.now
        progress.start()
        let results = await ReceiptBatch(receipts: settings.receipts, concurrency: settings.concurrency).run(
            { await pipeline.process($0) }, finished: { result, _ in progress.finished(result) }
        )
        let elapsed = began.duration(to: .now)
        progress.end()
        try? await client.shutdown()
        let report = DemoReport(
            seed: settings.seed, receipts: settings.receipts, concurrency: settings.concurrency, timeScale: settings.timeScale,
            elapsedSeconds: elapsed.asSeconds, scaledSeconds: start.duration(to: clock.now).asSeconds, ocrURL: ocrURL,
            visionURL: visionURL, outcomes: ReceiptOutcomeCounts(results), results: results,
            breakerTransitions: observer.recordedTransitions, statistics: statistics.snapshot()
        )
        if settings.json {
            print((try? report.json()) ?? "{}")
        } else {
            print(report.text(statisticsReport: statistics.report()), terminator: "")
        }
        fflush(nil)
        return report
    }

    /// The receipt pipeline for `settings`, on `clock`, its two services sharing one retry budget.
    static func makePipeline<ClockType: Clock>(
        _ settings: DemoSettings, clock: ClockType, client: HTTPClient, ocrURL: String, visionURL: String,
        observer: any ResilienceObserver
    ) -> ReceiptPipeline<ClockType> where ClockType.Duration == Duration {
        // Google SRE's ratio (a tenth of requests), with 20 retries a window whatever the traffic.
        let budget = try? RetryBudget.ratio(
            0.1, window: .seconds(10), minimumRetries: 20, clock: clock, name: "retry-budget", observer: observer)
        return ReceiptPipeline(
            client: client, ocrURL: ocrURL, visionURL: visionURL,
            ocr: DemoService(name: "ocr", settings: settings.ocr, clock: clock, budget: budget, observer: observer),
            vision: DemoService(name: "vision", settings: settings.vision, clock: clock, budget: budget, observer: observer),
            seed: settings.seed, observer: observer
        )
    }

    /// Suspends until the task is cancelled.
    static func waitUntilCancelled() async {
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        await withTaskCancellationHandler {
            for await _ in stream {}
        } onCancel: {
            continuation.finish()
        }
    }

    private static func range(_ range: Range<Int>) -> String {
        range.isEmpty ? "none" : "\(range.lowerBound)...\(range.upperBound - 1)"
    }
}
