// ResilienceAsyncHTTPClient: AsyncHTTPClient requests through a resilience pipeline (`HTTPRetry`,
// `StandardHTTPPipeline`): retried responses drained or dropped, request bodies re-sent, AHC's and
// NIO's errors classified.
//
// This module is empty unless the package's `AsyncHTTPClient` trait is enabled (it enables `HTTP`
// too): every other file here is wrapped in `#if AsyncHTTPClient`, and async-http-client is a
// dependency only under that trait, so that a service using `Resilience` alone never resolves it.
// Enable the trait where you depend on the package:
//
//     .package(url: "https://github.com/.../swift-resilience", from: "1.0.0", traits: ["AsyncHTTPClient"])
//
// and depend on the `ResilienceAsyncHTTPClient` product.
