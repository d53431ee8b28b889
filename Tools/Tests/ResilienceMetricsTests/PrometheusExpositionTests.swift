import Foundation
import Prometheus
import Resilience
import ResilienceMetrics
import Testing
import ToolsTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Exposing the observer's metrics with swift-prometheus, as the "Exposing metrics to Prometheus"
/// article shows: one registry, every pipeline and strategy, text that a real parser accepts.
@Suite("Metrics observer with swift-prometheus")
struct PrometheusExpositionTests {
    /// A registry filled by every metric of several pipelines, and its exposition text.
    private func exposition(pipelines: Int = 3) async throws -> (PrometheusCollectorRegistry, String) {
        let registry = PrometheusCollectorRegistry()
        let observer = MetricsObserver(factory: PrometheusMetricsFactory(registry: registry))
        try await exerciseEveryMetric(with: observer, pipelines: pipelines)
        return (registry, registry.emitToString())
    }

    /// The Prometheus name of each metric: swift-prometheus turns dots into underscores.
    private static let prometheusNames = MetricsObserver.metrics.map { $0.name.replacingOccurrences(of: ".", with: "_") }

    @Test("no two metrics share a Prometheus name, nor a histogram's series names")
    func namesDoNotCollide() {
        var seen = Set<String>()
        for (metric, name) in zip(MetricsObserver.metrics, Self.prometheusNames) {
            let series = metric.type == .timer ? [name, "\(name)_bucket", "\(name)_sum", "\(name)_count"] : [name]
            for series in series {
                #expect(seen.insert(series).inserted, "\(series) twice")
            }
        }
    }

    @Test("one registry takes every metric of many pipelines and strategies: one TYPE line per name, of the metric's type")
    func oneRegistry() async throws {
        let (_, text) = try await exposition(pipelines: 6)
        let types = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ") }
        let typeByName = Dictionary(types.map { (String($0[2]), String($0[3])) }, uniquingKeysWith: { first, _ in first })
        #expect(types.count == typeByName.count, "a name has two TYPE lines")
        let expected = Dictionary(
            uniqueKeysWithValues: zip(Self.prometheusNames, MetricsObserver.metrics).map { name, metric in
                (name, metric.type == .timer ? "histogram" : "\(metric.type)")
            })
        #expect(typeByName == expected)
        #expect(text.contains(#"resilience_calls{pipeline_name="pipeline-6",outcome="success",error_category="",error_type=""} 4"#))
        #expect(text.contains(#"resilience_circuit_state{strategy_name="pipeline-1-breaker",state="closed"} 1"#))
    }

    @Test("a timer's buckets are configured by the metric's dotted name")
    func bucketsByName() async throws {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[MetricsObserver.MetricName.retryDelay] = [.seconds(1), .seconds(10), .seconds(60)]
        let observer = MetricsObserver(factory: factory)
        observer.observe(.retryScheduled(strategy: "r", attempt: 1, delay: .seconds(4), error: nil, classification: .transient))
        let text = registry.emitToString()
        #expect(text.contains(#"resilience_retry_delay_bucket{pipeline_name="",strategy_name="r",error_category="transient",le="10.0"} 1"#))
        #expect(text.contains(#"resilience_retry_delay_bucket{pipeline_name="",strategy_name="r",error_category="transient",le="1.0"} 0"#))
    }

    @Test(
        "the exposition parses as the Prometheus text format (prometheus_client's parser)",
        .enabled(if: PrometheusTextParser.isAvailable, Comment(rawValue: PrometheusTextParser.unavailableMessage)))
    func parsesAsExpositionFormat() async throws {
        let (_, text) = try await exposition()
        let families = try PrometheusTextParser.parse(text)
        let byName = Dictionary(families.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(families.count == byName.count)
        for (name, metric) in zip(Self.prometheusNames, MetricsObserver.metrics) {
            let family = try #require(byName[name], "\(name) missing from the parsed exposition")
            #expect(family.type == (metric.type == .timer ? "histogram" : "\(metric.type)"), "\(name)")
            let labels = Set(metric.dimensions.map { $0.replacingOccurrences(of: ".", with: "_") })
            #expect(!family.samples.isEmpty)
            #expect(family.samples.allSatisfy { Set($0.labels.keys).subtracting(["le"]) == labels }, "\(name)")
        }
        let calls = try #require(byName["resilience_calls"])
        let successes = calls.samples.filter { $0.labels["pipeline_name"] == "pipeline-2" && $0.labels["outcome"] == "success" }
        #expect(successes.map(\.value) == [4])
    }
}
