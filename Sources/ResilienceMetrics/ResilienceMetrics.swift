// ResilienceMetrics records the events of Resilience's strategies through swift-metrics: see
// `MetricsObserver` and the catalog's "Metric names" article.
//
// The module is empty unless the package's `Metrics` trait is enabled, which keeps swift-metrics out
// of the dependencies of services that do not use it. To use it, enable the trait where you depend
// on swift-resilience:
//
//     .package(url: "https://github.com/swift-resilience/swift-resilience", from: "1.0.0", traits: ["Metrics"]),
//
// and depend on the product: `.product(name: "ResilienceMetrics", package: "swift-resilience")`.
// Every other file of the module is wrapped in `#if Metrics`.
