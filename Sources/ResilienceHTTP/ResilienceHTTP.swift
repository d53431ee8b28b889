// ResilienceHTTP: HTTP response classification, delay hints (`Retry-After`, `retry-after-ms`),
// idempotency rules, a per-authority circuit-breaker pool and the standard HTTP pipeline, on
// swift-http-types' `HTTPRequest` and `HTTPResponse`.
//
// This module is empty unless the package's `HTTP` trait is enabled: every other file here is wrapped
// in `#if HTTP`, and swift-http-types is a dependency only under that trait, so that a service using
// `Resilience` alone never resolves it. Enable the trait where you depend on the package:
//
//     .package(url: "https://github.com/.../swift-resilience", from: "1.0.0", traits: ["HTTP"])
//
// and depend on the `ResilienceHTTP` product.
