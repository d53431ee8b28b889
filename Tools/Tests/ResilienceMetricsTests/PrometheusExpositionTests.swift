import Foundation
import Prometheus
import Resilience
import ResilienceMetrics
import Testing

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
        .enabled(if: PrometheusTextParser.isAvailable, PrometheusTextParser.unavailableMessage))
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

/// `prometheus_client`'s text-format parser (PyPI's `prometheus-client`), run by `python3`.
///
/// Tests that need it are skipped when it is missing, unless `RESILIENCE_REQUIRE_PROMETHEUS_PARSER` is
/// set (CI sets it, after installing the package), in which case they run and fail.
enum PrometheusTextParser {
    struct Family: Decodable {
        var name: String
        var type: String
        var samples: [Sample]
    }

    struct Sample: Decodable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    static let script = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        with open(sys.argv[1]) as source:
            families = text_string_to_metric_families(source.read())
            parsed = [{"name": f.name, "type": f.type,
                       "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]}
                      for f in families]
        with open(sys.argv[2], "w") as output:
            json.dump(parsed, output)
        """

    static let isAvailable: Bool =
        ProcessInfo.processInfo.environment["RESILIENCE_REQUIRE_PROMETHEUS_PARSER"] != nil
        || ((try? python(["-c", "import prometheus_client.parser"])) != nil)

    static let unavailableMessage: Comment =
        "python3 with prometheus_client is not installed (pip install prometheus-client); .ci/run installs it"

    /// The metric families `prometheus_client` reads from `text`.
    static func parse(_ text: String) throws -> [Family] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("prometheus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("metrics.txt")
        let output = directory.appendingPathComponent("families.json")
        try Data(text.utf8).write(to: input)
        try python(["-c", script, input.path, output.path])
        return try JSONDecoder().decode([Family].self, from: Data(contentsOf: output))
    }

    /// Runs `python3` with `arguments`; throws when it fails (its standard error goes to the test's).
    /// Files rather than pipes carry the text both ways: no reads to interrupt, nothing to deadlock on.
    private static func python(_ arguments: [String]) throws {
        // posix_spawn and waitpid on this one process, not Foundation's `Process`: on Linux it learns of
        // an exit from a socket that every process spawned meanwhile inherits, so a `resilience demo`
        // started by a test running in parallel would hold this wait until it ends (and under the
        // thread sanitizer, with both cooperative threads waiting so, nothing ran to end it).
        let command = ["/usr/bin/env", "python3"] + arguments
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var processID: pid_t = 0
        let spawned = posix_spawn(&processID, "/usr/bin/env", nil, nil, &argv, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
        var status: Int32 = 0
        while waitpid(processID, &status, 0) == -1 && errno == EINTR {}
        let exitStatus = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        guard exitStatus == 0 else {
            throw ParseError(description: "python3 \(arguments.first ?? "") exited with status \(exitStatus)")
        }
    }
}
