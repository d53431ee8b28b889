// ResilienceTracing shows what Resilience's strategies do in swift-distributed-tracing spans: see
// `TracingObserver` (retries, time-outs, rejections, fallbacks and hedges as events of the caller's
// span) and `TracedAttempts` (a span per attempt).
//
// The module is empty unless the package's `Tracing` trait is enabled, which keeps
// swift-distributed-tracing out of the dependencies of services that do not use it. To use it,
// enable the trait where you depend on swift-resilience:
//
//     .package(url: "https://github.com/swift-resilience/swift-resilience", from: "1.0.0", traits: ["Tracing"]),
//
// and depend on the product: `.product(name: "ResilienceTracing", package: "swift-resilience")`.
// Every other file of the module is wrapped in `#if Tracing`.
